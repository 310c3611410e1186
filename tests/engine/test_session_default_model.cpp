// The whole chain on the default model: chat template, tokenizer, layer-major prefill and
// greedy generation answer a factual question, streamed as text.

#include "test_support.h"

#include "engine/chat/chat_template.h"
#include "engine/model/model.h"
#include "engine/session/generate_text.h"
#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <QtTest/QtTest>

class TestSessionDefaultModel : public QObject {
    Q_OBJECT

private slots:
    void greedy_answer_names_the_capital_of_france() {
        auto model = engine::Model::open(test_support::default_model());
        const auto tokenizer = engine::Tokenizer::from_gguf(model->file());
        const auto chat = engine::ChatTemplate::from_gguf(model->file());
        const std::vector<engine::ChatMessage> messages = {{"user", "What is the capital of France?"}};
        const auto prompt = tokenizer.encode(chat.render(messages, true), tokenizer.adds_bos() && !chat.renders_bos(), true);

        engine::Session session(model, {.threads = 2, .chunk = 8});   // several chunks per layer
        int64_t last_done = 0, total = 0;
        QVERIFY(session.prefill(prompt, [&](const engine::PrefillProgress& p) { last_done = p.done, total = p.total; }));
        QCOMPARE(last_done, total);
        QCOMPARE(total, static_cast<int64_t>(prompt.size()) * model->config().n_layers);

        std::string answer;
        int pieces = 0;
        const auto stats = engine::generate_text(session, tokenizer, {.max_new_tokens = 40}, [&](std::string_view piece) {
            answer += piece;
            ++pieces;
        });
        qInfo("answer (%lld tokens, %.1f tok/s): %s", static_cast<long long>(stats.generated_tokens),
              stats.tokens_per_second, answer.c_str());
        QVERIFY2(answer.find("Paris") != std::string::npos, answer.c_str());
        QCOMPARE(stats.stop_reason, engine::StopReason::EndOfTurn);
        QVERIFY(pieces > 1);   // streamed, not delivered at the end
        // The streamed text is the answer's tokens decoded, without the end-of-turn token.
        std::vector<int32_t> text_tokens(stats.tokens.begin(), stats.tokens.end() - 1);
        QCOMPARE(answer, tokenizer.decode(text_tokens));

        // The next turn continues from the cache, answer and end-of-turn token included: only
        // the text the full conversation adds after them is appended.
        const std::vector<engine::ChatMessage> conversation = {
            messages[0], {"assistant", answer}, {"user", "And what is the capital of Germany?"}};
        const std::string full = chat.render(conversation, true);
        const std::string seen = chat.render(messages, true) + answer + tokenizer.decode(std::vector{stats.tokens.back()});
        QVERIFY2(full.starts_with(seen), full.c_str());
        QVERIFY(session.append(tokenizer.encode(full.substr(seen.size()), false, true)));
        std::string second;
        engine::generate_text(session, tokenizer, {.max_new_tokens = 40}, [&](std::string_view p) { second += p; });
        qInfo("second answer: %s", second.c_str());
        QVERIFY2(second.find("Berlin") != std::string::npos, second.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSessionDefaultModel)
#include "test_session_default_model.moc"
