// Sampling: greedy is argmax, the filters restrict the support as documented, a seed
// repeats a run, the repetition penalty discourages repeats, draws follow probabilities.

#include "engine/error.h"
#include "engine/session/sampling.h"
#include "engine/session/stop_strings.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace {

std::vector<float> random_logits(std::mt19937_64& rng, size_t n) {
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = normal(rng);
    return v;
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
    const double m = *std::max_element(logits.begin(), logits.end());
    std::vector<double> p(logits.size());
    double sum = 0.0;
    for (size_t i = 0; i < p.size(); ++i) sum += (p[i] = std::exp((logits[i] - m) / temperature));
    for (auto& x : p) x /= sum;
    return p;
}

uint64_t fresh_seed() {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("seed %llu", static_cast<unsigned long long>(seed));
    return seed;
}

}  // namespace

class TestSampling : public QObject {
    Q_OBJECT

private slots:
    void greedy_picks_argmax() {
        std::mt19937_64 rng(fresh_seed());
        for (int round = 0; round < 20; ++round) {
            const auto logits = random_logits(rng, 500);
            engine::Sampler sampler({});
            const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
            QCOMPARE(sampler.sample(logits, {}), static_cast<int32_t>(best));
        }
    }

    void top_k_keeps_the_k_most_likely() {
        std::mt19937_64 rng(fresh_seed());
        const auto logits = random_logits(rng, 300);
        engine::SamplingParams p{.temperature = 0.8f, .top_k = 7};
        const auto dist = engine::sampling_distribution(logits, {}, p);
        QCOMPARE(dist.size(), size_t{7});
        std::vector<float> sorted = logits;
        std::sort(sorted.rbegin(), sorted.rend());
        double total = 0.0;
        for (const auto& t : dist) {
            QVERIFY(logits[static_cast<size_t>(t.token)] >= sorted[6]);
            total += t.probability;
        }
        QVERIFY(std::fabs(total - 1.0) < 1e-5);
    }

    void top_p_keeps_the_smallest_set_holding_p() {
        std::mt19937_64 rng(fresh_seed());
        const auto logits = random_logits(rng, 300);
        const float top_p = 0.7f;
        const auto dist = engine::sampling_distribution(logits, {}, {.temperature = 1.0f, .top_p = top_p});
        const auto probs = softmax(logits, 1.0);
        double mass = 0.0;
        for (const auto& t : dist) mass += probs[static_cast<size_t>(t.token)];
        QVERIFY(mass >= top_p - 1e-6);
        QVERIFY(mass - probs[static_cast<size_t>(dist.back().token)] < top_p);   // none to spare
        // Everything outside is less likely than everything inside.
        std::set<int32_t> kept;
        for (const auto& t : dist) kept.insert(t.token);
        for (size_t i = 0; i < probs.size(); ++i)
            if (!kept.count(static_cast<int32_t>(i))) QVERIFY(probs[i] <= probs[static_cast<size_t>(dist.back().token)]);
    }

    void min_p_drops_tokens_below_the_floor() {
        std::mt19937_64 rng(fresh_seed());
        const auto logits = random_logits(rng, 300);
        const float min_p = 0.05f, temperature = 0.7f;
        const auto dist = engine::sampling_distribution(logits, {}, {.temperature = temperature, .min_p = min_p});
        const auto probs = softmax(logits, temperature);
        const double floor = min_p * *std::max_element(probs.begin(), probs.end());
        size_t expected = 0;
        for (double p : probs) expected += p >= floor;
        QCOMPARE(dist.size(), expected);
        for (const auto& t : dist) QVERIFY(probs[static_cast<size_t>(t.token)] >= floor * (1 - 1e-5));
    }

    void same_seed_repeats_and_other_seed_differs() {
        std::mt19937_64 rng(fresh_seed());
        std::vector<float> logits(100, 0.0f);   // flat: every draw is a fair choice
        engine::SamplingParams p{.temperature = 1.0f, .seed = 1234};
        engine::Sampler a(p), b(p);
        p.seed = 99;
        engine::Sampler c(p);
        std::vector<int32_t> ra, rb, rc;
        for (int i = 0; i < 50; ++i) {
            ra.push_back(a.sample(logits, {}));
            rb.push_back(b.sample(logits, {}));
            rc.push_back(c.sample(logits, {}));
        }
        QCOMPARE(ra, rb);
        QVERIFY(ra != rc);
    }

    void draws_follow_the_probabilities() {
        const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
        engine::Sampler s({.temperature = 1.0f, .seed = fresh_seed()});
        std::vector<int> counts(4, 0);
        const int n = 20000;
        for (int i = 0; i < n; ++i) counts[static_cast<size_t>(s.sample(logits, {}))]++;
        const double expected[4] = {0.5, 0.3, 0.15, 0.05};
        for (int i = 0; i < 4; ++i) QVERIFY(std::fabs(counts[i] / double(n) - expected[i]) < 0.02);
    }

    void repetition_penalty_discourages_recent_tokens() {
        std::vector<float> logits = {2.0f, 1.9f, -1.0f, -1.2f};
        const std::vector<int32_t> history = {0, 2};
        // Greedy would pick token 0; penalised, it falls below token 1.
        QCOMPARE(engine::Sampler({.repetition_penalty = 1.3f}).sample(logits, history), 1);
        QCOMPARE(engine::Sampler({}).sample(logits, history), 0);
        // A negative logit is pushed further down, never up.
        const auto plain = engine::sampling_distribution(logits, {}, {.temperature = 1.0f});
        const auto penalised = engine::sampling_distribution(logits, history, {.temperature = 1.0f, .repetition_penalty = 1.3f});
        auto prob_of = [](const auto& dist, int32_t token) {
            for (const auto& t : dist)
                if (t.token == token) return t.probability;
            return 0.0f;
        };
        QVERIFY(prob_of(penalised, 2) < prob_of(plain, 2));
        QVERIFY(prob_of(penalised, 3) > prob_of(plain, 3));
        // Outside the window, no penalty.
        const std::vector<int32_t> old_history = {0, 2};
        QCOMPARE(engine::Sampler({.repetition_penalty = 1.3f, .repetition_window = 1}).sample(logits, old_history), 0);
    }

    void bad_parameters_are_errors() {
        const std::vector<float> logits = {1.0f, 2.0f};
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::sampling_distribution(logits, {}, {.top_p = 0.0f}));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::sampling_distribution(logits, {}, {.min_p = 1.5f}));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::sampling_distribution(logits, {}, {.repetition_penalty = 0.0f}));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::sampling_distribution({}, {}, {}));
    }

    void stop_strings_are_cut_and_partial_matches_held_back() {
        engine::StopStringFilter f({"<end>", "STOP"});
        QCOMPARE(f.push("Hello <e"), std::string("Hello "));   // "<e" may begin "<end>"
        QCOMPARE(f.push("xtra"), std::string("<extra"));        // it did not
        QCOMPARE(f.push(" ST"), std::string(" "));
        QCOMPARE(f.push("OP and more"), std::string(""));
        QVERIFY(f.stopped());
        QCOMPARE(f.push("later"), std::string(""));
        QCOMPARE(f.flush(), std::string(""));

        engine::StopStringFilter g({"\n\nUser:"});
        std::string shown = g.push("answer\n");
        shown += g.push("\nUs");
        QVERIFY(!g.stopped());
        shown += g.flush();
        QCOMPARE(shown, std::string("answer\n\nUs"));
    }
};

QTEST_GUILESS_MAIN(TestSampling)
#include "test_sampling.moc"
