// The evaluation's shortcut — one prefill asking every policy, caches cut out of the full
// one — gives exactly the caches a prefill with each policy alone gives (the lookahead
// policies too, drafting on that one prefill), and a budget covering the prompt scores as
// the full cache does.

#include "app/eval/eviction_eval.h"
#include "app/eval/fan_out_policy.h"
#include "engine/eviction/policy_registry.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/session/session.h"
#include "engine/reference/tiny_model.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace engine;
namespace eval = glimpse::eval;

namespace {

// A tiny model with a tokenizer, so the evaluation can decode text.
std::shared_ptr<const Model> tiny_model_with_vocab(const reference::TinySpec& spec, uint64_t seed) {
    GgufFile file = GgufFile::parse(reference::write_tiny_model(spec, seed));
    GgufWriter w;
    for (const auto& [key, value] : file.metadata()) w.set(key, value);
    std::vector<std::string> tokens;
    std::vector<int32_t> types;
    for (int64_t i = 0; i < spec.vocab; ++i) {
        // "t", "1" and "t1" exist so the one merge is valid; the rest are plain pieces.
        const char* fixed[] = {"t", "1", "t1"};
        tokens.push_back(i == spec.eos_token ? "</s>" : i < 3 ? fixed[i] : "t" + std::to_string(i));
        types.push_back(i == spec.eos_token ? 3 : 1);
    }
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "gpt2");
    w.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
    w.set("tokenizer.ggml.token_type", GgufValue::int32_array(types));
    w.set("tokenizer.ggml.merges", GgufValue::string_array({"t 1"}));
    w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(spec.eos_token));
    for (const auto& t : file.tensors())
        w.add_tensor(t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.size_bytes));
    return Model::from_file(GgufFile::parse(w.to_bytes()));
}

// Keeps, per layer and KV head, the positions a finished cache holds: replays another
// prefill's choice through the evaluation's shared path. The cache must start at position 0.
class ReplayKept final : public EvictionPolicy {
public:
    explicit ReplayKept(CompressedCache cache) : cache_(std::move(cache)) {}
    std::string name() const override { return "replay"; }
    std::vector<std::vector<int32_t>> keep(const EvictionInput& in) override {
        std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
        for (int64_t h = 0; h < in.n_kv_heads; ++h)
            for (int32_t pos : cache_.head(in.layer, h).positions) kept[static_cast<size_t>(h)].push_back(pos);
        return kept;
    }

private:
    CompressedCache cache_;
};

std::vector<int32_t> prompt_tokens(int n, std::mt19937_64& rng) {
    std::vector<int32_t> p;
    for (int i = 0; i < n; ++i) p.push_back(5 + static_cast<int32_t>(rng() % 90));
    return p;
}

}  // namespace

class TestEvictionEval : public QObject {
    Q_OBJECT

private slots:
    void fan_out_caches_equal_single_policy_prefills() {
        const uint64_t seed = std::random_device{}();
        qInfo("seed %llu", (unsigned long long)seed);
        std::mt19937_64 rng(seed);
        reference::TinySpec spec;
        auto model = Model::from_file(GgufFile::parse(reference::write_tiny_model(spec, seed)));
        const auto prompt = prompt_tokens(90, rng);
        std::vector<std::shared_ptr<EvictionPolicy>> policies;
        std::vector<std::string> names;
        for (const char* name : {"streaming", "snapkv", "pyramidkv", "h2o"})
            for (int64_t budget : {8, 40}) {
                PolicyOptions o;
                o.budget = budget;
                o.window = 8;
                o.n_layers = spec.n_layers;
                policies.push_back(make_policy(name, o));
                names.push_back(name);
            }
        auto fan_out = std::make_shared<eval::FanOutPolicy>(policies);
        Session all(model, {.threads = 1, .policy = fan_out});
        QVERIFY(all.prefill(prompt));
        for (size_t p = 0; p < policies.size(); ++p) {
            Session alone(model, {.threads = 1, .policy = policies[p]});
            QVERIFY(alone.prefill(prompt));
            auto cut = all.cache().keep_entries(fan_out->kept(p));
            QVERIFY2(cut == alone.cache(), names[p].c_str());
            QVERIFY(fan_out->eviction_ms(p) >= 0);
            // And the cut cache, resumed with the prefill's logits, decodes as the real one.
            Session resumed(model, nullptr, cut, {.threads = 1}, std::vector<float>(all.logits().begin(), all.logits().end()));
            QVERIFY(std::equal(resumed.logits().begin(), resumed.logits().end(), alone.logits().begin()));
            resumed.decode(11);
            alone.decode(11);
            QVERIFY(std::equal(resumed.logits().begin(), resumed.logits().end(), alone.logits().begin()));
        }
    }

    void a_budget_covering_the_prompt_scores_as_full() {
        const uint64_t seed = std::random_device{}();
        qInfo("seed %llu", (unsigned long long)seed);
        std::mt19937_64 rng(seed);
        reference::TinySpec spec;
        auto model = tiny_model_with_vocab(spec, seed);
        auto tokenizer = Tokenizer::from_gguf(model->file());
        eval::EvictionPrompt prompt;
        prompt.task = "niah_single";
        prompt.length = 64;
        prompt.context_tokens = prompt_tokens(50, rng);
        prompt.question_tokens = prompt_tokens(8, rng);
        prompt.answers = {"t42"};
        PolicyOptions o;
        o.budget = 200;
        o.n_layers = spec.n_layers;
        std::vector<eval::EvictionCandidate> candidates{{"snapkv", 200, make_policy("snapkv", o)},
                                                        {"h2o", 200, make_policy("h2o", o)}};
        o.budget = 4;
        candidates.push_back({"streaming", 4, make_policy("streaming", o)});
        eval::EvictionEvalOptions options;
        options.threads = 1;
        options.response_tokens = 6;
        auto records = eval::evaluate_eviction(model, tokenizer, prompt, candidates, options);
        QCOMPARE(records.size(), size_t(1 + 3 * 2));
        QCOMPARE(records[0].policy, std::string("full"));
        for (const auto& r : records) {
            QCOMPARE(r.task, std::string("niah_single"));
            QVERIFY(r.correct == 0.0 || r.correct == 1.0);
            if (r.budget == 200) {
                QCOMPARE(r.recall, 1.0);
                if (r.setting == "question-aware") QCOMPARE(r.dnll, 0.0);
                QCOMPARE(r.correct, records[0].correct);
                QCOMPARE(r.kept_bytes, records[0].kept_bytes);
            }
            if (r.budget == 4) {
                QVERIFY(r.recall < 1.0);
                QVERIFY(r.kept_bytes < records[0].kept_bytes);
            }
        }
    }

    // Past the context window: no full-cache reference, each policy reads in windows, the
    // truncation baselines read the first or last document tokens that fit, and every record
    // has the accepted answer's NLL.
    void a_prompt_past_the_window_is_read_in_windows_beside_truncation() {
        const uint64_t seed = std::random_device{}();
        qInfo("seed %llu", (unsigned long long)seed);
        std::mt19937_64 rng(seed);
        reference::TinySpec spec;
        auto model = tiny_model_with_vocab(spec, seed);
        auto tokenizer = Tokenizer::from_gguf(model->file());
        eval::EvictionPrompt prompt;
        prompt.task = "document";
        prompt.length = 305;
        prompt.context_tokens = prompt_tokens(300, rng);
        prompt.question_tokens = prompt_tokens(5, rng);
        prompt.answers = {"t42 t7"};
        PolicyOptions o;
        o.budget = 16;
        o.window = 4;
        std::vector<eval::EvictionCandidate> candidates{{"snapkv", 16, make_policy("snapkv", o)},
                                                        {"truncate-first", 0, nullptr, eval::Truncation::First},
                                                        {"truncate-last", 0, nullptr, eval::Truncation::Last}};
        eval::EvictionEvalOptions options;
        options.threads = 1;
        options.response_tokens = 8;
        options.context = 128;
        const auto records = eval::evaluate_eviction(model, tokenizer, prompt, candidates, options);
        QCOMPARE(records.size(), size_t(3 * 2));   // no "full": it cannot read the prompt
        const double token_bytes = static_cast<double>(spec.n_layers * spec.n_kv_heads * spec.head_dim * 2 * 4);
        for (const auto& r : records) {
            QVERIFY2(std::isfinite(r.answer_nll) && r.answer_nll > 0, r.policy.c_str());
            QVERIFY(std::isnan(r.dnll));     // no full-cache response to compare with
            QVERIFY(std::isnan(r.recall));   // positions compacted or cut
            if (r.policy == "snapkv") {
                QVERIFY(r.kept_bytes <= (2 * 16 + 5 + 8) * token_bytes);   // back to the budget
            } else {
                // The document cut to what fits with the question and the answer: 128 - 8 - 5.
                QCOMPARE(r.kept_bytes, (128 - 8 - 5 + 5) * token_bytes);
            }
        }
        // answer_nll is the teacher-forced NLL of the first accepted answer: with a budget
        // covering the prompt it is the full cache's, which the full record reports.
        options.context = 0;
        prompt.context_tokens.resize(100);
        o.budget = 400;
        const auto fits = eval::evaluate_eviction(model, tokenizer, prompt, {{"snapkv", 400, make_policy("snapkv", o)}}, options);
        QCOMPARE(fits.front().policy, std::string("full"));
        for (const auto& r : fits)
            if (r.setting == "question-aware") QCOMPARE(r.answer_nll, fits.front().answer_nll);
    }

    // LAQ and SpecKV in the evaluation draft on its one shared prefill; their records must be
    // those of the caches a two-pass prefill per policy and budget gives (replayed here).
    void lookahead_records_equal_two_pass_prefills() {
        const uint64_t seed = std::random_device{}();
        qInfo("seed %llu", (unsigned long long)seed);
        std::mt19937_64 rng(seed);
        reference::TinySpec spec;
        auto model = tiny_model_with_vocab(spec, seed);
        auto drafter = tiny_model_with_vocab(spec, seed + 1);   // same vocabulary, other weights
        auto tokenizer = Tokenizer::from_gguf(model->file());
        eval::EvictionPrompt prompt;
        prompt.task = "niah_single";
        prompt.length = 64;
        prompt.context_tokens = prompt_tokens(60, rng);
        prompt.question_tokens = prompt_tokens(8, rng);
        prompt.answers = {"t42"};
        for (const bool question_aware : {true, false}) {
            std::vector<int32_t> compressed = prompt.context_tokens;
            if (question_aware)
                compressed.insert(compressed.end(), prompt.question_tokens.begin(), prompt.question_tokens.end());
            std::vector<eval::EvictionCandidate> candidates;
            std::vector<std::string> checked;
            for (int64_t budget : {6, 12, 24, 200}) {
                PolicyOptions o;
                o.budget = budget;
                o.window = 4;
                o.draft_tokens = 3;
                o.n_layers = spec.n_layers;
                candidates.push_back({"snapkv", budget, make_policy("snapkv", o)});
                const std::pair<const char*, std::shared_ptr<const Model>> kinds[] = {
                    {"laq", nullptr}, {"speckv", model}, {"speckv", drafter}};
                for (const auto& [name, draft] : kinds) {
                    o.draft_model = draft;
                    auto policy = make_policy(name, o);
                    Session alone(model, {.threads = 1, .policy = policy});
                    QVERIFY(alone.prefill(compressed));
                    const std::string label = std::string(name) + (draft == drafter ? "-drafter" : "");
                    candidates.push_back({label, budget, policy});
                    candidates.push_back({label + "-two-pass", budget, std::make_shared<ReplayKept>(alone.cache())});
                    checked.push_back(label);
                }
            }
            eval::EvictionEvalOptions options;
            options.threads = 1;
            options.response_tokens = 6;
            options.question_aware = question_aware;
            options.context_only = !question_aware;
            const auto records = eval::evaluate_eviction(model, tokenizer, prompt, candidates, options);
            QCOMPARE(records.size(), candidates.size() + 1);
            auto find = [&](const std::string& policy, int64_t budget) {
                auto it = std::find_if(records.begin(), records.end(),
                                       [&](const eval::EvalRecord& r) { return r.policy == policy && r.budget == budget; });
                if (it == records.end()) qFatal("no record for %s at %lld", policy.c_str(), (long long)budget);
                return *it;
            };
            int compared = 0;
            for (const auto& cand : candidates) {
                if (std::find(checked.begin(), checked.end(), cand.policy) == checked.end()) continue;
                const eval::EvalRecord got = find(cand.policy, cand.budget);
                const eval::EvalRecord want = find(cand.policy + "-two-pass", cand.budget);
                const QByteArray what = QByteArray::fromStdString(cand.policy + " at " + std::to_string(cand.budget) + ", " +
                                                                  got.setting);
                QVERIFY2(got.recall == want.recall, what);
                QVERIFY2(got.dnll == want.dnll, what);
                QVERIFY2(got.correct == want.correct, what);
                QVERIFY2(got.kept_bytes == want.kept_bytes, what);
                QVERIFY2(got.evict_ms >= 0 && got.prefill_ms >= got.evict_ms, what);
                QVERIFY2(std::isnan(got.rows_ms) && std::isnan(got.scoring_ms), what);   // drafts: no split
                const eval::EvalRecord snap = find("snapkv", cand.budget);
                QVERIFY2(snap.rows_ms == 0.0 && snap.scoring_ms == snap.evict_ms, what);
                if (cand.budget < 24) QVERIFY2(got.recall < 1.0, what);   // something was evicted
                ++compared;
            }
            QCOMPARE(compared, 4 * 3);
        }
    }
};

QTEST_GUILESS_MAIN(TestEvictionEval)
#include "test_eviction_eval.moc"
