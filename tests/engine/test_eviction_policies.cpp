// Eviction policies against brute-force references on fresh random inputs (the same kept
// set), exact budgets, and with a budget of at least the prompt: Full's logits bit for bit.

#include "engine/error.h"
#include "engine/eviction/eviction_scoring.h"
#include "engine/eviction/policy_registry.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/session/session.h"
#include "reference/tiny_model.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace engine;

namespace {

struct RandomLayer {
    int64_t n, heads = 4, kv = 2, d = 16, window;
    std::vector<float> k, v, q, key_attention;
    std::vector<int32_t> positions;

    LayerKeepInput input(int64_t layer = 0) const {
        LayerKeepInput in;
        in.layer = layer;
        in.n_tokens = n;
        in.n_heads = heads;
        in.n_kv_heads = kv;
        in.head_dim = d;
        in.k = k.data();
        in.v = v.data();
        in.positions = positions;
        in.window_queries = q.data() + (n - window) * heads * d;
        in.n_window = window;
        in.key_attention = key_attention.data();
        return in;
    }
};

RandomLayer random_layer(std::mt19937_64& rng, int64_t n, int64_t window) {
    RandomLayer r{n, 4, 2, 16, window, {}, {}, {}, {}, {}};
    std::normal_distribution<float> normal(0.0f, 1.0f);
    r.k.resize(static_cast<size_t>(n * r.kv * r.d));
    r.v.resize(r.k.size());
    r.q.resize(static_cast<size_t>(n * r.heads * r.d));
    for (auto* x : {&r.k, &r.v, &r.q})
        for (auto& e : *x) e = normal(rng);
    for (int64_t i = 0; i < n; ++i) r.positions.push_back(static_cast<int32_t>(i));
    // H2O's accumulated attention, from every query's causal softmax, in double.
    r.key_attention.assign(static_cast<size_t>(r.heads * n), 0.0f);
    std::vector<double> acc(static_cast<size_t>(r.heads * n), 0.0);
    for (int64_t h = 0; h < r.heads; ++h)
        for (int64_t i = 0; i < n; ++i) {
            std::vector<double> s(static_cast<size_t>(i + 1));
            double top = -1e300, sum = 0;
            for (int64_t j = 0; j <= i; ++j) {
                double dot = 0;
                for (int64_t x = 0; x < r.d; ++x)
                    dot += double(r.q[size_t((i * r.heads + h) * r.d + x)]) * r.k[size_t((j * r.kv + h / 2) * r.d + x)];
                s[size_t(j)] = dot / std::sqrt(double(r.d));
                top = std::max(top, s[size_t(j)]);
            }
            for (auto& x : s) sum += (x = std::exp(x - top));
            for (int64_t j = 0; j <= i; ++j) acc[size_t(h * n + j)] += s[size_t(j)] / sum;
        }
    for (size_t i = 0; i < acc.size(); ++i) r.key_attention[i] = float(acc[i]);
    return r;
}

// SnapKV's score per KV head, in double, written out plainly.
std::vector<std::vector<double>> reference_window_scores(const RandomLayer& r) {
    std::vector<std::vector<double>> out(size_t(r.kv), std::vector<double>(size_t(r.n), 0.0));
    const int64_t group = r.heads / r.kv;
    for (int64_t h = 0; h < r.heads; ++h)
        for (int64_t i = r.n - r.window; i < r.n; ++i) {
            std::vector<double> s(size_t(i + 1));
            double top = -1e300, sum = 0;
            for (int64_t j = 0; j <= i; ++j) {
                double dot = 0;
                for (int64_t x = 0; x < r.d; ++x)
                    dot += double(r.q[size_t((i * r.heads + h) * r.d + x)]) * r.k[size_t((j * r.kv + h / group) * r.d + x)];
                s[size_t(j)] = dot / std::sqrt(double(r.d));
                top = std::max(top, s[size_t(j)]);
            }
            for (auto& x : s) sum += (x = std::exp(x - top));
            for (int64_t j = 0; j <= i; ++j) out[size_t(h / group)][size_t(j)] += s[size_t(j)] / sum / double(r.window * group);
        }
    return out;
}

// Top `count` of `scores` (higher first, lower index on ties), ascending; and the gap at
// the cut, so a test can tell a real choice from a float-rounding coin toss.
std::vector<int32_t> reference_top(const std::vector<double>& scores, int64_t count, double* gap) {
    std::vector<int32_t> idx(scores.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = int32_t(i);
    std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return scores[size_t(a)] > scores[size_t(b)]; });
    if (gap) *gap = count < int64_t(idx.size()) && count > 0 ? scores[size_t(idx[size_t(count - 1)])] - scores[size_t(idx[size_t(count)])] : 1.0;
    idx.resize(size_t(count));
    std::sort(idx.begin(), idx.end());
    return idx;
}

std::vector<double> reference_pool(const std::vector<double>& s, int64_t n, int64_t kernel) {
    std::vector<double> out(static_cast<size_t>(n), 0.0);
    for (int64_t j = 0; j < n; ++j) {
        double m = -1e300;
        for (int64_t x = std::max<int64_t>(0, j - kernel / 2); x <= std::min(n - 1, j + kernel / 2); ++x) m = std::max(m, s[size_t(x)]);
        out[size_t(j)] = m;
    }
    return out;
}

std::vector<int32_t> reference_snap(const std::vector<double>& scores, int64_t n, int64_t budget, int64_t window,
                                    double* gap) {
    std::vector<int32_t> kept;
    if (budget >= n) { for (int64_t j = 0; j < n; ++j) kept.push_back(int32_t(j)); *gap = 1; return kept; }
    if (budget <= window) { for (int64_t j = n - budget; j < n; ++j) kept.push_back(int32_t(j)); *gap = 1; return kept; }
    auto pooled = reference_pool(std::vector<double>(scores.begin(), scores.begin() + (n - window)), n - window, 7);
    kept = reference_top(pooled, budget - window, gap);
    for (int64_t j = n - window; j < n; ++j) kept.push_back(int32_t(j));
    return kept;
}

uint64_t fresh_seed() {
    uint64_t seed = std::random_device{}();
    qInfo("seed %llu", (unsigned long long)seed);
    return seed;
}

}  // namespace

class TestEvictionPolicies : public QObject {
    Q_OBJECT

private slots:
    void snapkv_matches_brute_force() {
        std::mt19937_64 rng(fresh_seed());
        int checked = 0;
        for (int trial = 0; trial < 40; ++trial) {
            const int64_t n = 40 + int64_t(rng() % 160), window = 8, budget = 12 + int64_t(rng() % 40);
            auto layer = random_layer(rng, n, window);
            PolicyOptions o;
            o.budget = budget;
            o.window = window;
            auto kept = make_policy("snapkv", o)->keep(layer.input());
            auto ref = reference_window_scores(layer);
            for (int64_t h = 0; h < layer.kv; ++h) {
                double gap = 0;
                auto expect = reference_snap(ref[size_t(h)], n, budget, window, &gap);
                // Equal pooled scores share a source token and tie the same way in float; a
                // tiny non-zero gap is a float-rounding coin toss with no defined answer.
                if (gap > 0 && gap < 1e-6) continue;
                QCOMPARE(kept[size_t(h)], expect);
                QCOMPARE(int64_t(kept[size_t(h)].size()), std::min(budget, n));
                ++checked;
            }
        }
        QVERIFY(checked > 60);
    }

    void h2o_matches_brute_force() {
        std::mt19937_64 rng(fresh_seed());
        for (int trial = 0; trial < 30; ++trial) {
            const int64_t n = 30 + int64_t(rng() % 120), budget = 6 + int64_t(rng() % 30);
            auto layer = random_layer(rng, n, 1);
            PolicyOptions o;
            o.budget = budget;
            auto kept = make_policy("h2o", o)->keep(layer.input());
            const int64_t recent = budget / 2;
            if (budget >= n) {
                for (const auto& k : kept) QCOMPARE(int64_t(k.size()), n);
                continue;
            }
            for (int64_t kv = 0; kv < layer.kv; ++kv) {
                std::vector<double> score(size_t(n - recent), 0.0);
                for (int64_t h = kv * 2; h < kv * 2 + 2; ++h)
                    for (int64_t j = 0; j < n - recent; ++j) score[size_t(j)] += layer.key_attention[size_t(h * n + j)];
                double gap = 0;
                auto expect = reference_top(score, budget - recent, &gap);
                for (int64_t j = n - recent; j < n; ++j) expect.push_back(int32_t(j));
                if (gap > 0 && gap < 1e-5) continue;
                QCOMPARE(kept[size_t(kv)], expect);
            }
        }
    }

    void streaming_keeps_sinks_and_recent_tokens() {
        std::mt19937_64 rng(fresh_seed());
        auto layer = random_layer(rng, 50, 1);
        PolicyOptions o;
        o.budget = 10;
        auto kept = make_policy("streaming", o)->keep(layer.input());
        std::vector<int32_t> expect = {0, 1, 2, 3, 44, 45, 46, 47, 48, 49};
        QCOMPARE(kept[0], expect);
        QCOMPARE(kept[1], expect);
    }

    void pyramid_budgets_fall_linearly_and_keep_the_total() {
        for (int64_t budget : {64, 128, 256, 512, 7})
            for (int64_t layers : {1, 2, 30, 32}) {
                auto b = pyramid_budgets(budget, layers, 20.0);
                int64_t sum = 0;
                for (auto x : b) sum += x;
                QCOMPARE(sum, budget * layers);
                for (size_t l = 1; l < b.size(); ++l) QVERIFY(b[l] <= b[l - 1]);
                if (layers == 30) {
                    QVERIFY(std::abs(double(b.back()) - double(budget) / 20.0) <= 1.0);
                    QVERIFY(std::abs(double(b.front()) - (2.0 * budget - budget / 20.0)) <= 1.0);
                }
            }
    }

    void pyramidkv_is_snapkv_with_the_layer_budget() {
        std::mt19937_64 rng(fresh_seed());
        auto layer = random_layer(rng, 150, 8);
        PolicyOptions o;
        o.budget = 32;
        o.window = 8;
        o.n_layers = 4;
        PyramidKvPolicy pyramid(o);
        for (int64_t l = 0; l < 4; ++l) {
            auto kept = pyramid.keep(layer.input(l));
            PolicyOptions snap = o;
            snap.budget = pyramid.layer_budgets()[size_t(l)];
            QCOMPARE(kept, make_policy("snapkv", snap)->keep(layer.input(l)));
            QCOMPARE(int64_t(kept[0].size()), std::min<int64_t>(150, pyramid.layer_budgets()[size_t(l)]));
        }
    }

    void every_policy_keeps_exactly_its_budget() {
        std::mt19937_64 rng(fresh_seed());
        auto layer = random_layer(rng, 120, 32 > 120 ? 120 : 32);
        for (const auto& info : eviction_policies()) {
            if (info.name == "full" || info.name == "pyramidkv") continue;
            for (int64_t budget : {1, 16, 33, 64, 119, 120, 500}) {
                PolicyOptions o;
                o.budget = budget;
                auto kept = make_policy(info.name, o)->keep(layer.input());
                for (const auto& k : kept) {
                    QCOMPARE(int64_t(k.size()), std::min<int64_t>(budget, 120));
                    QVERIFY(std::is_sorted(k.begin(), k.end()));
                    QVERIFY(std::adjacent_find(k.begin(), k.end()) == k.end());
                }
            }
        }
    }

    void a_budget_of_the_whole_prompt_reproduces_full_bit_for_bit() {
        reference::TinySpec spec;
        auto model = Model::from_file(GgufFile::parse(reference::write_tiny_model(spec, fresh_seed())));
        std::vector<int32_t> prompt;
        for (int i = 0; i < 40; ++i) prompt.push_back(5 + (i * 7) % 90);
        for (const auto& info : eviction_policies()) {
            Session full(*model, {.threads = 1});
            QVERIFY(full.prefill(prompt));
            PolicyOptions o;
            o.budget = 40;
            o.n_layers = spec.n_layers;
            o.pyramid_beta = 1.0;   // every layer gets the same budget, so all keep everything
            Session s(*model, {.threads = 1, .policy = make_policy(info.name, o)});
            QVERIFY(s.prefill(prompt));
            QVERIFY(std::equal(full.logits().begin(), full.logits().end(), s.logits().begin()));
            for (int step = 0; step < 3; ++step) {
                full.decode(7 + step);
                s.decode(7 + step);
                QVERIFY2(std::equal(full.logits().begin(), full.logits().end(), s.logits().begin()),
                         std::string(info.name).c_str());
            }
        }
    }

    void small_budgets_evict_and_shrink_the_cache() {
        reference::TinySpec spec;
        auto model = Model::from_file(GgufFile::parse(reference::write_tiny_model(spec, fresh_seed())));
        std::vector<int32_t> prompt;
        for (int i = 0; i < 100; ++i) prompt.push_back(5 + (i * 13) % 90);
        for (const auto& info : eviction_policies()) {
            PolicyOptions o;
            o.budget = 16;
            o.window = 8;
            o.n_layers = spec.n_layers;
            Session s(*model, {.threads = 1, .policy = make_policy(info.name, o)});
            QVERIFY(s.prefill(prompt));
            const int64_t expected = info.name == "full" ? 100 * spec.n_layers * spec.n_kv_heads : 16 * spec.n_layers * spec.n_kv_heads;
            QCOMPARE(s.cache().entries(), expected);
            s.decode(9);   // decode still works on the compressed cache
            QVERIFY(std::isfinite(s.logits()[0]));
        }
    }

    void unknown_names_and_bad_budgets_are_errors() {
        PolicyOptions o;
        QVERIFY_THROWS_EXCEPTION(Error, make_policy("snapkv2", o));
        o.budget = 0;
        QVERIFY_THROWS_EXCEPTION(Error, make_policy("snapkv", o));
        o.budget = 8;
        QVERIFY_THROWS_EXCEPTION(Error, make_policy("pyramidkv", o));   // no layer count
        try {
            make_policy("nope", PolicyOptions{});
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("known policies: full, streaming, snapkv, pyramidkv, h2o"));
        }
    }
};

QTEST_GUILESS_MAIN(TestEvictionPolicies)
#include "test_eviction_policies.moc"
