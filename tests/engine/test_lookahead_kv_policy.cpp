// LookaheadKV at inference, on tiny random models with random adapters (LoRA B non-zero):
// - the float lookahead rows on the engine's backend match the double-precision training
//   pass (relative error below 1e-4);
// - the kept sets equal the top-B of the training pass's scores, max-pooled (exact, except
//   where the two reference scores at the cut are within 1e-5 of each other);
// - the prompt's logits and its kept K/V are bit-identical to a run without the adapter,
//   and with B >= prompt length the cache equals Full's;
// - a second prefill after an earlier one, a wrong model's adapter and no adapter.

#include "reference/finite_difference.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/eviction/lookahead_kv_policy.h"
#include "engine/eviction/policy_registry.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_pass.h"
#include "engine/lookahead/lookahead_rows.h"
#include "engine/lookahead/lookahead_score.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

using reference::TinySpec;
namespace la = engine::lookahead;

Q_DECLARE_METATYPE(TinySpec)

namespace {

constexpr int64_t kPrompt = 48;
constexpr int64_t kLookahead = 5;
constexpr int64_t kBudget = 12;

TinySpec spec_for(const char* arch) {
    TinySpec s;
    s.arch = arch;
    s.n_layers = 3;
    s.dim = 32;
    s.ffn_dim = 64;
    s.n_heads = 4;
    s.n_kv_heads = 2;
    s.head_dim = 8;
    return s;
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int64_t vocab, int64_t n) {
    std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(vocab - 1));
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = pick(rng);
    return t;
}

// A fresh adapter whose LoRA is on (random B) so that the rows differ from plain tokens.
std::shared_ptr<engine::LookaheadAdapter> random_adapter(const engine::Model& model, uint64_t seed) {
    auto adapter = std::make_shared<engine::LookaheadAdapter>(
        engine::LookaheadAdapter::initialize(model, {.n_tokens = kLookahead, .rank = 2, .alpha = 4.0f}, seed));
    std::mt19937_64 rng(seed + 1);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    for (auto& layer : adapter->lora)
        for (auto& m : layer)
            for (float& b : m.b) b = normal(rng);
    return adapter;
}

struct Fixture {
    std::shared_ptr<const engine::Model> model;
    std::shared_ptr<engine::LookaheadAdapter> adapter;
    std::vector<int32_t> tokens;
};

Fixture make_fixture(const TinySpec& spec, const char* tag) {
    const uint64_t seed = reference::fresh_seed(tag);
    std::mt19937_64 rng(seed);
    Fixture f;
    f.model = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
    f.adapter = random_adapter(*f.model, seed);
    f.tokens = random_tokens(rng, spec.vocab, kPrompt);
    return f;
}

std::shared_ptr<engine::EvictionPolicy> lookahead_policy(const Fixture& f, int64_t budget) {
    engine::PolicyOptions o;
    o.budget = budget;
    o.adapter = f.adapter;
    return engine::make_policy("lookahead", o);
}

// Kept positions of (layer, head), ascending.
std::vector<int32_t> kept_positions(const engine::CompressedCache& cache, int64_t layer, int64_t head) {
    return cache.head(layer, head).positions;
}

void add_arch_rows() {
    QTest::addColumn<TinySpec>("spec");
    QTest::newRow("llama") << spec_for("llama");
    QTest::newRow("qwen2 with QKV bias") << spec_for("qwen2");
    QTest::newRow("qwen3 with QK-norm") << spec_for("qwen3");
}

}  // namespace

class TestLookaheadKvPolicy : public QObject {
    Q_OBJECT

private slots:
    void rows_match_the_double_training_pass_data() { add_arch_rows(); }

    void rows_match_the_double_training_pass() {
        QFETCH(TinySpec, spec);
        const Fixture f = make_fixture(spec, QTest::currentDataTag());
        const auto& c = f.model->config();
        engine::Session full(f.model, {.threads = 2});
        QVERIFY(full.prefill(f.tokens));
        const auto kv = la::prompt_kv_of(full.cache());
        const auto params = engine::LookaheadParameters::from_adapter(*f.adapter);
        const auto pass = la::lookahead_forward(*f.model, la::dequantize_layers(*f.model), params, kv, kPrompt);

        auto backend = engine::make_cpu_backend(2);
        engine::LookaheadRows rows(*f.model, *f.adapter, kPrompt);
        double worst = 0.0;
        for (int64_t l = 0; l < c.n_layers; ++l) {
            rows.run_layer(*backend, l, std::span(kv).subspan(l * c.n_kv_heads, c.n_kv_heads));
            auto compare = [&](const std::vector<double>& ref, const std::vector<float>& got) {
                QCOMPARE(got.size(), ref.size());
                double diff = 0.0, scale = 0.0;
                for (size_t i = 0; i < ref.size(); ++i) {
                    diff = std::max(diff, std::fabs(ref[i] - got[i]));
                    scale = std::max(scale, std::fabs(ref[i]));
                }
                worst = std::max(worst, diff / scale);
            };
            compare(pass.layers[l].q, rows.queries());
            compare(pass.layers[l].k, rows.keys());
            compare(pass.layers[l].h_out, rows.hidden());
        }
        qInfo("worst relative difference float rows vs double pass: %.3g (bound 1e-4)", worst);
        QVERIFY(worst < 1e-4);
    }

    void keeps_the_top_budget_of_the_training_scores_data() { add_arch_rows(); }

    void keeps_the_top_budget_of_the_training_scores() {
        QFETCH(TinySpec, spec);
        const Fixture f = make_fixture(spec, QTest::currentDataTag());
        const auto& c = f.model->config();
        engine::Session full(f.model, {.threads = 2});
        QVERIFY(full.prefill(f.tokens));
        const auto kv = la::prompt_kv_of(full.cache());
        const auto params = engine::LookaheadParameters::from_adapter(*f.adapter);
        const auto scores = la::lookahead_scores(
            *f.model, la::lookahead_forward(*f.model, la::dequantize_layers(*f.model), params, kv, kPrompt), kv);

        engine::Session evicted(f.model, {.threads = 2, .policy = lookahead_policy(f, kBudget)});
        QVERIFY(evicted.prefill(f.tokens));
        int compared = 0;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const std::span<const double> head(scores[l].data() + h * kPrompt, kPrompt);
                const auto pooled = la::max_pool_scores(head, 7);
                std::vector<int32_t> order(kPrompt);
                std::iota(order.begin(), order.end(), 0);
                std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return pooled[a] > pooled[b]; });
                std::vector<int32_t> expected(order.begin(), order.begin() + kBudget);
                std::sort(expected.begin(), expected.end());
                const auto got = kept_positions(evicted.cache(), l, h);
                QCOMPARE(static_cast<int64_t>(got.size()), kBudget);
                if (got != expected) {
                    // Only a near-tie at the cut may differ between float and double scoring.
                    const double margin = pooled[order[kBudget - 1]] - pooled[order[kBudget]];
                    QVERIFY2(margin < 1e-5, qPrintable(QString("layer %1 head %2 kept another set, margin %3")
                                                           .arg(l).arg(h).arg(margin)));
                }
                ++compared;
            }
        QCOMPARE(compared, static_cast<int>(c.n_layers * c.n_kv_heads));
    }

    void prompt_logits_and_kept_kv_are_those_of_a_run_without_the_adapter() {
        const Fixture f = make_fixture(spec_for("llama"), "bit-identical");
        const auto& c = f.model->config();
        engine::Session full(f.model, {.threads = 2});
        QVERIFY(full.prefill(f.tokens));
        engine::Session evicted(f.model, {.threads = 2, .policy = lookahead_policy(f, kBudget)});
        QVERIFY(evicted.prefill(f.tokens));

        QCOMPARE(evicted.logits().size(), full.logits().size());
        QVERIFY(std::memcmp(evicted.logits().data(), full.logits().data(), full.logits().size_bytes()) == 0);
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const auto& kept = evicted.cache().head(l, h);
                const auto& all = full.cache().head(l, h);
                for (int64_t i = 0; i < kept.size(); ++i) {
                    const int32_t t = kept.positions[i];
                    QVERIFY(std::memcmp(kept.k.floats() + i * c.head_dim, all.k.floats() + t * c.head_dim, c.head_dim * 4) == 0);
                    QVERIFY(std::memcmp(kept.v.floats() + i * c.head_dim, all.v.floats() + t * c.head_dim, c.head_dim * 4) == 0);
                }
            }
    }

    void budget_at_least_the_prompt_equals_full() {
        const Fixture f = make_fixture(spec_for("qwen2"), "keeps-all");
        engine::Session full(f.model, {.threads = 2});
        QVERIFY(full.prefill(f.tokens));
        const auto keeps_all = lookahead_policy(f, kPrompt);
        engine::Session evicted(f.model, {.threads = 2, .policy = keeps_all});
        QVERIFY(evicted.prefill(f.tokens));
        QCOMPARE(keeps_all->rows_seconds(), 0.0);   // nothing to evict: the rows never ran
        QVERIFY(evicted.cache().serialize() == full.cache().serialize());
        QVERIFY(std::memcmp(evicted.logits().data(), full.logits().data(), full.logits().size_bytes()) == 0);
    }

    void recent_window_is_always_kept() {
        Fixture f = make_fixture(spec_for("llama"), "recent-window");
        engine::PolicyOptions o;
        o.budget = kBudget;
        o.adapter = f.adapter;
        o.recent_window = 8;
        const auto policy = engine::make_policy("lookahead", o);
        engine::Session evicted(f.model, {.threads = 2, .policy = policy});
        const engine::PrefillStats read = evicted.prefill(f.tokens);
        QVERIFY(read);
        // The rows' time is reported apart from the scoring, and is part of the eviction time.
        QVERIFY(policy->rows_seconds() > 0.0);
        QVERIFY(policy->rows_seconds() <= read.eviction_seconds);
        for (int64_t l = 0; l < f.model->config().n_layers; ++l) {
            const auto kept = kept_positions(evicted.cache(), l, 0);
            QCOMPARE(static_cast<int64_t>(kept.size()), kBudget);
            for (int32_t t = kPrompt - 8; t < kPrompt; ++t) QVERIFY(std::binary_search(kept.begin(), kept.end(), t));
        }
    }

    void a_second_prefill_selects_among_its_new_tokens() {
        const Fixture f = make_fixture(spec_for("llama"), "follow-up");
        engine::Session session(f.model, {.threads = 2, .policy = lookahead_policy(f, kBudget)});
        QVERIFY(session.prefill(f.tokens));
        std::vector<int32_t> more(f.tokens.rbegin(), f.tokens.rend());
        QVERIFY(session.prefill(more));
        for (int64_t l = 0; l < f.model->config().n_layers; ++l)
            for (int64_t h = 0; h < f.model->config().n_kv_heads; ++h) {
                const auto kept = kept_positions(session.cache(), l, h);
                QCOMPARE(static_cast<int64_t>(kept.size()), 2 * kBudget);
                QCOMPARE(std::count_if(kept.begin(), kept.end(), [](int32_t t) { return t >= kPrompt; }), kBudget);
            }
    }

    void another_models_adapter_is_refused() {
        const Fixture f = make_fixture(spec_for("llama"), "owner");
        const Fixture other = make_fixture(spec_for("llama"), "other");
        Fixture mixed = other;
        mixed.adapter = f.adapter;
        engine::Session session(other.model, {.threads = 2, .policy = lookahead_policy(mixed, kBudget)});
        try {
            session.prefill(other.tokens);
            QFAIL("an adapter of another model was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("another model"), e.what());
        }
        QCOMPARE(session.cache().next_position(), 0);   // nothing half-done is left behind
    }

    void no_adapter_is_a_clear_error() {
        engine::PolicyOptions o;
        o.budget = kBudget;
        try {
            engine::make_policy("lookahead", o);
            QFAIL("lookahead without an adapter was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("adapter"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestLookaheadKvPolicy)
#include "test_lookahead_kv_policy.moc"
