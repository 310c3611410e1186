// The application core's Conversation on the default model and a real document: the first
// question reads the documents, a follow-up appends only its own tokens, a cancelled read
// leaves the conversation as it was, and every prompt token knows its page.

#include "default_model_fixture.h"

#include "core/conversation.h"
#include "core/model_setup.h"
#include "core/prompt_document_of.h"
#include "engine/chat/chat_template.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/read_document.h"

#include <QtTest/QtTest>

#include <atomic>

namespace {

using test_support::open_default_model;

std::vector<glimpse::PromptDocument> sample_report() { return {test_support::sample_report_document()}; }

glimpse::ConversationOptions options_with(const std::string& policy, int64_t budget) {
    glimpse::ConversationOptions o;
    o.sampling.max_new_tokens = 32;
    o.make_policy = [policy, budget] { return engine::make_policy(policy, {.budget = budget}); };
    return o;
}

}  // namespace

class TestConversation : public QObject {
    Q_OBJECT

private slots:
    void first_question_reads_the_document_and_a_follow_up_appends_only_itself() {
        const auto model = open_default_model();
        glimpse::Conversation conversation(model, options_with("snapkv", 512), sample_report());
        QVERIFY(conversation.session() == nullptr);

        int64_t last_done = 0, total = 0;
        glimpse::TurnCallbacks callbacks;
        callbacks.on_progress = [&](const engine::PrefillProgress& p) { last_done = p.done, total = p.total; };
        std::string streamed;
        callbacks.on_piece = [&](std::string_view piece) { streamed += piece; };
        const auto first = conversation.ask("What is the entrance code for the night tours?", callbacks);
        QVERIFY(first.read_documents);
        QVERIFY(first.prefill.completed);
        QVERIFY(first.read_tokens > 900);
        QCOMPARE(last_done, total);
        QCOMPARE(first.answer, streamed);
        QVERIFY2(QString::fromStdString(first.answer).contains("PELICAN-47"), first.answer.c_str());
        QVERIFY(first.prefill.kept_bytes < first.prefill.full_bytes);   // budget 512 of ~970 tokens

        // The answer's citation is the page that holds the code, with a passage around it.
        QVERIFY(!first.cited.empty());
        const auto& pages = conversation.documents()[0].pages;
        const auto holding = std::find_if(pages.begin(), pages.end(),
                                          [](const auto& p) { return p.text.find("PELICAN-47") != std::string::npos; });
        QVERIFY(holding != pages.end());
        for (const auto& c : first.cited)
            qInfo("cited p. %d share %.3f passages %zu", c.page, c.share, c.passages.size());
        QCOMPARE(first.cited.front().page, holding->number);
        const size_t code_at = holding->text.find("PELICAN-47");
        QVERIFY(std::any_of(first.cited.front().passages.begin(), first.cited.front().passages.end(), [&](const auto& r) {
            return r.begin <= static_cast<int32_t>(code_at) && static_cast<int32_t>(code_at) < r.end;
        }));

        // Every document token knows its page; the template and question belong to none.
        const auto& sources = conversation.token_sources();
        QCOMPARE(static_cast<int64_t>(sources.size()), conversation.session()->position());
        int64_t on_pages = 0;
        int32_t last_page = 0;
        for (const auto& s : sources)
            if (s.document == 0) {
                ++on_pages;
                QVERIFY(s.page >= last_page);   // pages come in order
                last_page = s.page;
            }
        QVERIFY(on_pages > 800);
        QVERIFY(last_page >= 2);

        const int64_t position = conversation.session()->position();
        const auto second = conversation.ask("Who was the last keeper?");
        QVERIFY(!second.read_documents);
        QVERIFY(second.read_tokens > 0 && second.read_tokens < 40);
        QVERIFY(conversation.session()->position() > position);
        QCOMPARE(conversation.messages().size(), size_t{4});
        QCOMPARE(conversation.messages()[2].content, std::string("Who was the last keeper?"));
        QCOMPARE(conversation.messages()[3].content, second.answer);
    }

    void a_cancelled_read_leaves_the_conversation_as_it_was() {
        const auto model = open_default_model();
        glimpse::Conversation conversation(model, options_with("lookahead", 128), sample_report());
        // No adapter in the options: the policy cannot be made, and nothing is kept.
        QVERIFY(!test_support::error_of([&] { conversation.ask("Who was the last keeper?"); }).isEmpty());
        QVERIFY(conversation.session() == nullptr);
        QVERIFY(conversation.messages().empty());

        glimpse::Conversation snap(model, options_with("snapkv", 128), sample_report());
        std::atomic<bool> cancel{false};
        glimpse::TurnCallbacks callbacks;
        callbacks.on_progress = [&](const engine::PrefillProgress& p) {
            if (p.done * 2 >= p.total) cancel = true;
        };
        try {
            snap.ask("Who was the last keeper?", callbacks, &cancel);
            QFAIL("a cancelled read must throw");
        } catch (const engine::Error& e) {
            QCOMPARE(e.kind(), engine::ErrorKind::Cancelled);
        }
        QVERIFY(snap.session() == nullptr);
        QVERIFY(snap.messages().empty());
        cancel = false;
        const auto turn = snap.ask("What is the entrance code for the night tours?");
        QVERIFY(turn.read_documents);
        QCOMPARE(snap.messages().size(), size_t{2});
    }

    void a_restored_conversation_answers_as_the_one_that_never_stopped() {
        const auto model = open_default_model();
        glimpse::Conversation original(model, options_with("snapkv", 512), sample_report());
        original.ask("What is the entrance code for the night tours?");
        const auto saved_state = original.state();
        const auto saved_bytes = original.session()->cache().serialize();

        glimpse::Conversation resumed(model, options_with("snapkv", 512), sample_report());
        resumed.restore(saved_state, engine::CompressedCache::deserialize(saved_bytes, model.model->fingerprint()));
        const auto a = original.ask("Who was the last keeper?");
        const auto b = resumed.ask("Who was the last keeper?");
        QVERIFY(!b.read_documents);
        QCOMPARE(b.answer, a.answer);
        QCOMPARE(b.generation.tokens, a.generation.tokens);
        QVERIFY(std::equal(original.session()->logits().begin(), original.session()->logits().end(),
                           resumed.session()->logits().begin(), resumed.session()->logits().end()));

        // A map that does not fit the cache is refused and changes nothing.
        auto wrong = saved_state;
        wrong.sources.pop_back();
        glimpse::Conversation fresh(model, options_with("snapkv", 512), sample_report());
        QVERIFY(!test_support::error_of([&] {
                     fresh.restore(wrong, engine::CompressedCache::deserialize(saved_bytes, model.model->fingerprint()));
                 }).isEmpty());
        QVERIFY(fresh.session() == nullptr);
    }

    void a_regenerated_answer_is_sampled_from_where_the_last_answer_began() {
        const auto model = open_default_model();
        glimpse::Conversation talk(model, options_with("snapkv", 512), sample_report());
        QVERIFY(!talk.can_regenerate());
        QVERIFY(!test_support::error_of([&] { talk.regenerate(); }).isEmpty());
        talk.ask("What is the entrance code for the night tours?");
        const auto after_first = talk.state();
        const auto after_first_cache = talk.session()->cache();
        talk.ask("Who was the last keeper?");
        const auto before = talk.messages().size();
        const auto again = talk.regenerate();
        QVERIFY(!again.read_documents);
        QCOMPARE(again.read_tokens, int64_t{0});
        QCOMPARE(talk.messages().size(), before);   // the answer replaced, not added
        QCOMPARE(talk.messages().back().content, again.answer);
        QCOMPARE(talk.session()->position(), int64_t(talk.token_sources().size()));

        // The same answer as a conversation that never gave the greedy one and sampled this
        // one at the regenerate temperature and seed: the cache went back exactly to where
        // the answer began.
        auto sampled = options_with("snapkv", 512);
        sampled.sampling.temperature = glimpse::Conversation::kRegenerateTemperature;
        sampled.sampling.seed = 1;
        glimpse::Conversation other(model, sampled, sample_report());
        other.restore(after_first, after_first_cache);
        const auto expected = other.ask("Who was the last keeper?");
        QCOMPARE(again.generation.tokens, expected.generation.tokens);
        QCOMPARE(again.answer, expected.answer);
        QVERIFY(talk.session()->cache() == other.session()->cache());

        const auto third = talk.regenerate();   // a new seed each time
        QCOMPARE(talk.messages().size(), before);
        QCOMPARE(talk.messages().back().content, third.answer);
    }

    void draft_and_learned_policies_answer_over_several_turns() {
        glimpse::ModelChoice choice;
        choice.model = test_support::default_model();
        choice.threads = 2;
        choice.policy_options.budget = 256;
        choice.adapter_dirs = {test_support::source_dir() / "resources/lookahead"};
        for (const char* policy : {"laq", "speckv", "lookahead"}) {
            choice.policy = policy;
            const auto model = glimpse::open_model(choice);
            glimpse::ConversationOptions options;
            options.sampling.max_new_tokens = 24;
            glimpse::Conversation conversation(model, options, sample_report());
            const auto first = conversation.ask("What is the entrance code for the night tours?");
            QCOMPARE(conversation.session()->policy().name(), std::string(policy));
            QVERIFY2(first.read_documents && first.prefill.kept_bytes < first.prefill.full_bytes, policy);
            QVERIFY(first.prefill.eviction_seconds > 0.0);
            const auto second = conversation.ask("Who was the last keeper?");
            QVERIFY2(!second.read_documents && !second.answer.empty(), policy);
            qInfo("%s: %s / %s", policy, first.answer.c_str(), second.answer.c_str());
        }
    }

    void every_policy_resumes_bit_identically_over_several_turns() {
        glimpse::ModelChoice choice;
        choice.model = test_support::default_model();
        choice.threads = 2;
        choice.policy_options.budget = 256;
        choice.adapter_dirs = {test_support::source_dir() / "resources/lookahead"};
        for (const auto& policy : engine::policy_names()) {
            choice.policy = policy;
            const auto model = glimpse::open_model(choice);
            glimpse::ConversationOptions options;
            options.sampling.max_new_tokens = 6;
            glimpse::Conversation original(model, options, sample_report());
            original.ask("What is the entrance code for the night tours?");
            original.ask("Who was the last keeper?");
            const auto bytes = original.session()->cache().serialize();

            glimpse::Conversation resumed(model, options, sample_report());
            resumed.restore(original.state(), engine::CompressedCache::deserialize(bytes, model.model->fingerprint()));
            const auto a = original.ask("When was the lamp first lit?");
            const auto b = resumed.ask("When was the lamp first lit?");
            QVERIFY2(!b.read_documents, policy.c_str());
            QVERIFY2(b.generation.tokens == a.generation.tokens, policy.c_str());
            QVERIFY2(std::equal(original.session()->logits().begin(), original.session()->logits().end(),
                                resumed.session()->logits().begin(), resumed.session()->logits().end()),
                     policy.c_str());
        }
    }

    void end_of_turn_is_one_rule_for_the_model_and_its_tokenizer() {
        const auto model = open_default_model();
        for (int32_t id = 0; id < model.tokenizer.vocab_size(); ++id)
            QCOMPARE(model.model->ends_turn(id), model.tokenizer.is_end_of_generation(id));
        QVERIFY(model.model->ends_turn(*model.tokenizer.find_token("<|im_end|>")));
    }
};

QTEST_GUILESS_MAIN(TestConversation)
#include "test_conversation.moc"
