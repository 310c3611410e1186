// SpecKV and LAQ on the default model, the model drafting for itself: the pseudo-answer is
// the full-cache greedy answer's start (SpecKV), every head keeps the budget, and the
// compressed session still answers.

#include "test_support.h"

#include "engine/chat/chat_template.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/draft_policy.h"
#include "engine/model/model.h"
#include "engine/session/generate_text.h"
#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <QtTest/QtTest>

class TestEvictionDefaultModel : public QObject {
    Q_OBJECT

private slots:
    void lookahead_policies_compress_a_short_prompt() {
        auto model = engine::Model::open(test_support::default_model());
        const auto tokenizer = engine::Tokenizer::from_gguf(model->file());
        const auto chat = engine::ChatTemplate::from_gguf(model->file());
        const std::vector<engine::ChatMessage> messages = {
            {"user", "Paris is the capital and largest city of France, on the river Seine. Berlin is the capital of "
                     "Germany. Madrid is the capital of Spain. What is the capital of France?"}};
        const auto prompt = tokenizer.encode(chat.render(messages, true), tokenizer.adds_bos() && !chat.renders_bos(), true);
        const int64_t n = static_cast<int64_t>(prompt.size()), budget = 48;
        QVERIFY2(n > budget + 8, "the prompt must be longer than the budget");

        engine::Session full(model, {.threads = 2});
        QVERIFY(full.prefill(prompt));
        const auto full_answer = full.generate({.max_new_tokens = 8}, {}, {}).tokens;

        // SpecKV drafts the whole answer (8 tokens here), LAQ its 8 by default.
        const engine::PolicyOptions options{.budget = budget, .answer_tokens = 8, .draft_model = model};
        for (auto source : {engine::DraftSource::DraftModel, engine::DraftSource::CompressedSelf}) {
            auto policy = std::make_shared<engine::DraftPolicy>(options, source);
            engine::Session s(model, {.threads = 2, .policy = policy});
            QVERIFY(s.prefill(prompt));
            const std::vector<int32_t> drafted = policy->last_draft();
            QVERIFY(!drafted.empty() && drafted.size() <= 8);
            if (source == engine::DraftSource::DraftModel)   // its own draft with a full cache: the full answer
                QCOMPARE(drafted, std::vector<int32_t>(full_answer.begin(), full_answer.begin() + drafted.size()));
            for (int64_t l = 0; l < model->config().n_layers; ++l)
                for (int64_t h = 0; h < model->config().n_kv_heads; ++h) QCOMPARE(s.cache().head(l, h).size(), budget);
            const auto footprint = engine::kv_footprint(s.cache());
            QCOMPARE(footprint.kept_fraction(), static_cast<double>(budget) / static_cast<double>(n));

            std::string answer;
            engine::generate_text(s, tokenizer, {.max_new_tokens = 24}, [&](std::string_view p) { answer += p; });
            qInfo("%s, %s, draft '%s': %s", source == engine::DraftSource::DraftModel ? "speckv" : "laq",
                  footprint.summary().c_str(), tokenizer.decode(drafted).c_str(), answer.c_str());
            QVERIFY(!answer.empty());
        }
    }
};

QTEST_GUILESS_MAIN(TestEvictionDefaultModel)
#include "test_eviction_default_model.moc"
