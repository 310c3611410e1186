// LookaheadKV ground truth: the greedy response and the attention it pays the prompt, per
// layer and KV head, checked against a naive double-precision forward pass on tiny random
// models (llama with grouped queries, qwen2 with biases).

#include "reference/finite_difference.h"
#include "reference/reference_forward.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/attention_targets.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"

#include "test_support.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

using engine::lookahead::AttentionTargets;
using engine::lookahead::compute_attention_targets;
using reference::TinySpec;

using test_support::error_of;

namespace {

// The engine computes in float; a normalised attention weight of a ~40-token prompt is
// O(1/40), and float rounding through two layers moves it by ~1e-6. 2e-5 absolute leaves
// room without hiding a wrong query, head or position (those move weights by O(1e-2)).
constexpr double kTolerance = 2e-5;

std::shared_ptr<const engine::Model> tiny_model(const TinySpec& spec, uint64_t seed) {
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
}

std::vector<int32_t> random_prompt(uint64_t seed, int64_t n, int64_t vocab) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int32_t> token(4, static_cast<int32_t>(vocab - 1));   // 0..3 are special
    std::vector<int32_t> out(static_cast<size_t>(n));
    for (auto& t : out) t = token(rng);
    return out;
}

// The reference target: softmax weights of every response token's query (from `first_response`
// on), every query head of the group, onto each prompt key; normalised over the prompt.
std::vector<double> brute_force_target(const std::vector<double>& attention, const TinySpec& s, int64_t n_prompt,
                                       int64_t first_response, int64_t n) {
    const int64_t group = s.n_heads / s.n_kv_heads;
    std::vector<double> target(static_cast<size_t>(s.n_layers * s.n_kv_heads * n_prompt), 0.0);
    for (int64_t l = 0; l < s.n_layers; ++l)
        for (int64_t h = 0; h < s.n_heads; ++h)
            for (int64_t t = first_response; t < n; ++t)
                for (int64_t j = 0; j < n_prompt; ++j)
                    target[static_cast<size_t>((l * s.n_kv_heads + h / group) * n_prompt + j)] +=
                        attention[static_cast<size_t>(((l * s.n_heads + h) * n + t) * n + j)];
    for (int64_t r = 0; r < s.n_layers * s.n_kv_heads; ++r) {
        double sum = 0.0;
        for (int64_t j = 0; j < n_prompt; ++j) sum += target[static_cast<size_t>(r * n_prompt + j)];
        for (int64_t j = 0; j < n_prompt; ++j) target[static_cast<size_t>(r * n_prompt + j)] /= sum;
    }
    return target;
}

}  // namespace

class TestAttentionTargets : public QObject {
    Q_OBJECT

    // With n_question > 0, a context-only target: the question is read after the prompt and
    // its tokens neither count as response nor receive target weight.
    void check_against_reference(const TinySpec& spec, uint64_t seed, int64_t n_prompt, int64_t response_tokens,
                                 int64_t n_question = 0) {
        const auto image = reference::write_tiny_model(spec, seed);
        const auto model = engine::Model::from_file(engine::GgufFile::parse(image, "tiny"));
        const auto prompt = random_prompt(seed + 1, n_prompt, spec.vocab);
        const auto question = random_prompt(seed + 2, n_question, spec.vocab);
        const auto got = compute_attention_targets(model, prompt,
                                                   {.response_tokens = response_tokens, .threads = 2, .question = question});
        QVERIFY(got.has_value());
        QVERIFY(!got->response.empty());
        QVERIFY(static_cast<int64_t>(got->response.size()) <= response_tokens);
        if (static_cast<int64_t>(got->response.size()) < response_tokens) QCOMPARE(got->response.back(), spec.eos_token);

        std::vector<int32_t> all = prompt;
        all.insert(all.end(), question.begin(), question.end());
        all.insert(all.end(), got->response.begin(), got->response.end());
        const int64_t first_response = n_prompt + n_question;
        const auto n = static_cast<int64_t>(all.size());
        std::vector<double> attention;
        const auto file = engine::GgufFile::parse(image, "tiny");
        const auto logits = reference::reference_logits(file, spec, all, &attention);

        // Greedy: each response token is the reference's argmax, wherever the top two are not a near tie.
        for (size_t i = 0; i < got->response.size(); ++i) {
            const auto& row = logits[static_cast<size_t>(first_response) - 1 + i];
            std::vector<double> sorted = row;
            std::sort(sorted.begin(), sorted.end(), std::greater<>());
            if (sorted[0] - sorted[1] < 1e-4) continue;
            const auto best = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
            QCOMPARE(got->response[i], best);
        }

        const auto expected = brute_force_target(attention, spec, n_prompt, first_response, n);
        QCOMPARE(got->target.size(), expected.size());
        double worst = 0.0;
        for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(got->target[i] - expected[i]));
        qInfo("%s: prompt %lld, question %lld, response %zu, max |engine - reference| = %.3g", spec.arch.c_str(),
              static_cast<long long>(n_prompt), static_cast<long long>(n_question), got->response.size(), worst);
        QVERIFY2(worst < kTolerance, qPrintable(QString("max error %1").arg(worst)));
        for (int64_t r = 0; r < spec.n_layers * spec.n_kv_heads; ++r) {
            double sum = 0.0;
            for (int64_t j = 0; j < n_prompt; ++j) sum += got->target[static_cast<size_t>(r * n_prompt + j)];
            QVERIFY(std::abs(sum - 1.0) < 1e-12);
        }
    }

private slots:
    void llama_with_grouped_queries_matches_reference() {
        TinySpec s;   // 4 query heads over 2 KV heads
        check_against_reference(s, reference::fresh_seed("llama"), 41, 7);
    }

    void qwen2_matches_reference_across_prefill_chunks() {
        TinySpec s;
        s.arch = "qwen2";
        s.n_layers = 3;
        s.n_heads = 6;
        s.n_kv_heads = 3;
        // 300 tokens is more than one 256-token prefill chunk.
        check_against_reference(s, reference::fresh_seed("qwen2"), 300, 5);
    }

    void context_only_target_covers_the_prompt_before_its_question() {
        TinySpec s;
        check_against_reference(s, reference::fresh_seed("context-only"), 37, 6, /*n_question=*/9);
    }

    // A conversation read part by part in one session: an earlier turn's answer leaves the
    // cache as it was, and the last answer's target over the first part matches the
    // reference reading everything at once.
    void a_conversation_read_in_parts_matches_reference() {
        const uint64_t seed = reference::fresh_seed("conversation");
        TinySpec s;
        const auto image = reference::write_tiny_model(s, seed);
        const auto model = engine::Model::from_file(engine::GgufFile::parse(image, "tiny"));
        const auto prompt = random_prompt(seed + 1, 29, s.vocab), first = random_prompt(seed + 2, 7, s.vocab);
        engine::lookahead::FullCacheReader reader(model, 2);
        QVERIFY(error_of([&] { reader.answer(4); }).contains("prompt is empty"));
        QVERIFY(reader.read(prompt));
        QVERIFY(reader.read(first));
        const engine::CompressedCache before = reader.cache();
        const auto said = reader.answer(4);
        QVERIFY(said.has_value() && !said->empty());
        QVERIFY(reader.cache() == before);
        QCOMPARE(*reader.answer(4), *said);
        // Reading aside gives the cache of reading on, and leaves the reader's as it was.
        const auto aside = random_prompt(seed + 4, 5, s.vocab);
        const auto with = reader.cache_with(aside);
        QVERIFY(reader.cache() == before);
        engine::lookahead::FullCacheReader on(model, 2);
        QVERIFY(on.read(prompt) && on.read(first) && on.read(aside));
        QVERIFY(with.has_value() && *with == on.cache());
        // The same answer as reading prompt and question afresh.
        const auto fresh = compute_attention_targets(model, prompt, {.response_tokens = 4, .threads = 2, .question = first});
        QCOMPARE(fresh->response, *said);

        std::vector<int32_t> second = *said;
        const auto next = random_prompt(seed + 3, 6, s.vocab);
        second.insert(second.end(), next.begin(), next.end());
        QVERIFY(reader.read(second));
        QVERIFY(error_of([&] { reader.answer_with_targets(200, 4); }).contains("a prompt of 200 tokens"));
        QVERIFY(error_of([&] { reader.answer(5000); }).contains("context window of 4096"));
        const auto got = reader.answer_with_targets(static_cast<int64_t>(prompt.size()), 5);
        QVERIFY(got.has_value() && !got->response.empty());

        std::vector<int32_t> all = prompt;
        all.insert(all.end(), first.begin(), first.end());
        all.insert(all.end(), second.begin(), second.end());
        all.insert(all.end(), got->response.begin(), got->response.end());
        const int64_t first_response = static_cast<int64_t>(prompt.size() + first.size() + second.size());
        std::vector<double> attention;
        reference::reference_logits(engine::GgufFile::parse(image, "tiny"), s, all, &attention);
        const auto expected = brute_force_target(attention, s, static_cast<int64_t>(prompt.size()), first_response,
                                                 static_cast<int64_t>(all.size()));
        QCOMPARE(got->target.size(), expected.size());
        double worst = 0.0;
        for (size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(got->target[i] - expected[i]));
        qInfo("conversation: max |engine - reference| = %.3g", worst);
        QVERIFY2(worst < kTolerance, qPrintable(QString("max error %1").arg(worst)));
    }

    void stops_at_the_end_of_turn_token() {
        const uint64_t seed = reference::fresh_seed("end of turn");
        TinySpec s;
        const auto prompt = random_prompt(seed + 1, 23, s.vocab);
        // A free run of 6 tokens: if the random model picks its end token, declare another
        // token (one it did not pick) the end and run again; the weights stay the same.
        auto free_run = compute_attention_targets(tiny_model(s, seed), prompt, {.response_tokens = 6, .threads = 1});
        for (int attempt = 0; attempt < 8 && free_run && free_run->response.size() < 6; ++attempt) {
            int32_t unused = 4;
            while (std::find(free_run->response.begin(), free_run->response.end(), unused) != free_run->response.end()) ++unused;
            s.eos_token = unused;
            free_run = compute_attention_targets(tiny_model(s, seed), prompt, {.response_tokens = 6, .threads = 1});
        }
        QVERIFY(free_run.has_value());
        QCOMPARE(free_run->response.size(), size_t(6));
        // The same weights, with the third greedy token declared the end of turn.
        s.eos_token = free_run->response[2];
        const auto stopped = compute_attention_targets(tiny_model(s, seed), prompt, {.response_tokens = 6, .threads = 1});
        QVERIFY(stopped.has_value());
        const auto first_end = std::find(free_run->response.begin(), free_run->response.end(), s.eos_token);
        const auto expected_length = static_cast<size_t>(first_end - free_run->response.begin()) + 1;
        QCOMPARE(stopped->response.size(), expected_length);
        QVERIFY(std::equal(stopped->response.begin(), stopped->response.end(), free_run->response.begin()));
        // Fewer response tokens attend, so the targets differ from the free run's.
        QVERIFY(stopped->target != free_run->target);
    }

    void bad_requests_and_cancel() {
        const auto model = tiny_model(TinySpec{}, reference::fresh_seed("errors"));
        QVERIFY(error_of([&] { compute_attention_targets(model, {}, {}); }).contains("prompt is empty"));
        const std::vector<int32_t> prompt(10, 5);
        QVERIFY(error_of([&] { compute_attention_targets(model, prompt, {.response_tokens = 0}); }).contains("must be positive"));
        const std::vector<int32_t> huge(4090, 5);
        QVERIFY(error_of([&] { compute_attention_targets(model, huge, {.response_tokens = 64}); }).contains("context window of 4096"));
        const std::vector<int32_t> long_question(40, 5);
        QVERIFY(error_of([&] {
                    compute_attention_targets(model, std::vector<int32_t>(4000, 5), {.response_tokens = 64, .question = long_question});
                }).contains("a question of 40 tokens"));
        const std::atomic<bool> cancel{true};
        QVERIFY(!compute_attention_targets(model, prompt, {.response_tokens = 4, .threads = 1}, &cancel).has_value());
    }
};

QTEST_GUILESS_MAIN(TestAttentionTargets)
#include "test_attention_targets.moc"
