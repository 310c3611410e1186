// AdamW over LookaheadKV parameters against a plain scalar reference written from the
// update equations, on fresh random parameters and gradients (agreement to 1e-12
// relative); the learning-rate schedule at its landmarks; decay only on LoRA matrices.

#include "reference/finite_difference.h"

#include "engine/error.h"
#include "engine/lookahead/adamw.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>

namespace la = engine::lookahead;

namespace {

constexpr double kTolerance = 1e-12;

// 2 layers; layer 0 adapts q and down, layer 1 only v (others empty, as when not targeted).
engine::LookaheadParameters random_parameters(std::mt19937_64& rng) {
    std::normal_distribution<double> normal(0.0, 1.0);
    engine::LookaheadParameters p;
    p.n_tokens = 3;
    p.dim = 5;
    p.rank = 2;
    p.scale = 2.0;
    p.embeddings.resize(15);
    p.lora.resize(2);
    p.lora[0][0].a.resize(10);
    p.lora[0][0].b.resize(10);
    p.lora[0][6].a.resize(14);
    p.lora[0][6].b.resize(10);
    p.lora[1][2].a.resize(10);
    p.lora[1][2].b.resize(6);
    la::for_each_tensor(p, [&](std::vector<double>& v, bool) {
        for (double& x : v) x = normal(rng);
    });
    return p;
}

std::vector<std::pair<std::vector<double>, bool>> flatten(const engine::LookaheadParameters& p) {
    std::vector<std::pair<std::vector<double>, bool>> out;
    la::for_each_tensor(p, [&](const std::vector<double>& v, bool lora) { out.emplace_back(v, lora); });
    return out;
}

// One scalar at a time, straight from the definitions.
struct ReferenceAdamW {
    la::AdamWOptions o;
    double m = 0.0, v = 0.0;
    void step(double& p, double g, int t, bool decays) {
        const double lr = la::learning_rate_at(o, t);
        m = o.beta1 * m + (1 - o.beta1) * g;
        v = o.beta2 * v + (1 - o.beta2) * g * g;
        const double m_hat = m / (1 - std::pow(o.beta1, t));
        const double v_hat = v / (1 - std::pow(o.beta2, t));
        if (decays) p = p - lr * o.weight_decay * p;
        p = p - lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
};

}  // namespace

class TestLookaheadAdamW : public QObject {
    Q_OBJECT

private slots:
    void updates_match_the_scalar_reference() {
        const uint64_t seed = reference::fresh_seed("adamw");
        std::mt19937_64 rng(seed);
        la::AdamWOptions o{.lr = 0.05, .weight_decay = 0.1, .warmup_steps = 2, .total_steps = 6};
        auto params = random_parameters(rng);
        auto flat = flatten(params);
        std::vector<std::vector<ReferenceAdamW>> ref;
        for (auto& [v, lora] : flat) ref.emplace_back(v.size(), ReferenceAdamW{o});

        la::AdamW adamw(params, o);
        double worst = 0.0;
        for (int t = 1; t <= 6; ++t) {
            auto grads = random_parameters(rng);
            const double lr = adamw.step(params, grads);
            QCOMPARE(lr, la::learning_rate_at(o, t));
            const auto g = flatten(grads);
            for (size_t i = 0; i < flat.size(); ++i)
                for (size_t j = 0; j < flat[i].first.size(); ++j)
                    ref[i][j].step(flat[i].first[j], g[i].first[j], t, flat[i].second);
            const auto mine = flatten(params);
            for (size_t i = 0; i < flat.size(); ++i)
                for (size_t j = 0; j < flat[i].first.size(); ++j)
                    worst = std::max(worst, std::fabs(mine[i].first[j] - flat[i].first[j]) /
                                                std::max(1.0, std::fabs(flat[i].first[j])));
        }
        QCOMPARE(adamw.steps_taken(), int64_t{6});
        qInfo("seed %llu: worst relative difference %.3g (bound %.0e)", static_cast<unsigned long long>(seed), worst,
              kTolerance);
        QVERIFY(worst < kTolerance);
    }

    void schedule_warms_up_then_decays_to_a_tenth() {
        la::AdamWOptions o{.lr = 2e-3, .warmup_steps = 10, .total_steps = 110};
        QCOMPARE(la::learning_rate_at(o, 1), 2e-4);
        QCOMPARE(la::learning_rate_at(o, 5), 1e-3);
        QCOMPARE(la::learning_rate_at(o, 10), 2e-3);
        // Halfway through the cosine: 0.1 + 0.9 * 0.5 of the peak.
        QVERIFY(std::fabs(la::learning_rate_at(o, 60) - 2e-3 * 0.55) < 1e-15);
        QVERIFY(std::fabs(la::learning_rate_at(o, 110) - 2e-4) < 1e-15);
        QVERIFY(std::fabs(la::learning_rate_at(o, 500) - 2e-4) < 1e-15);
        for (int64_t t = 11; t < 110; ++t) QVERIFY(la::learning_rate_at(o, t + 1) < la::learning_rate_at(o, t));
    }

    void weight_decay_shrinks_only_lora_matrices() {
        std::mt19937_64 rng(reference::fresh_seed("decay"));
        auto params = random_parameters(rng);
        const auto before = flatten(params);
        la::AdamWOptions o{.lr = 0.1, .weight_decay = 0.5};
        la::AdamW adamw(params, o);
        adamw.step(params, params.zeros_like());   // zero gradient: only the decay moves values
        const auto after = flatten(params);
        for (size_t i = 0; i < before.size(); ++i)
            for (size_t j = 0; j < before[i].first.size(); ++j) {
                const double expected = before[i].second ? before[i].first[j] * 0.95 : before[i].first[j];
                QVERIFY(std::fabs(after[i].first[j] - expected) < 1e-15 * std::max(1.0, std::fabs(expected)));
            }
    }

    void mismatched_gradients_are_an_error() {
        std::mt19937_64 rng(1);
        auto params = random_parameters(rng);
        la::AdamW adamw(params, {});
        auto grads = params.zeros_like();
        grads.lora[0][0].a.pop_back();
        QVERIFY_THROWS_EXCEPTION(engine::Error, adamw.step(params, grads));
    }
};

QTEST_GUILESS_MAIN(TestLookaheadAdamW)
#include "test_lookahead_adamw.moc"
