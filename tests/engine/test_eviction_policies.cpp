// Each eviction policy's kept set equals a naive double-precision reference on fresh random
// keys and queries (the float scoring may differ only on near-ties), keeps exactly its
// budget, and the registry builds them by name. The float scores themselves match the
// double ones (averaged or the largest over the queries), and the tie rule holds. The draft
// policies take their papers' defaults (LAQ: 8 tokens, mean, the draft's queries alone;
// SpecKV: a whole answer, max, its window), and on a constructed layer max and mean, and
// LAQ's stage-2 window 0 and 8, keep what they should.

#include "reference/eviction_reference.h"

#include "engine/error.h"
#include "engine/eviction/h2o_policy.h"
#include "engine/eviction/lookahead_kv_scores.h"
#include "engine/eviction/token_selection.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/draft_policy.h"
#include "engine/eviction/policy_registry.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/eviction/snapkv_policy.h"
#include "engine/eviction/streaming_llm_policy.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <optional>
#include <random>

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

// A random layer: float buffers for the policy, the same values in double for the reference.
struct RandomLayer {
    std::vector<float> k, v, window_q, lookahead_q, all_q;
    reference::LayerData ref;
    engine::EvictionInput input() const {
        engine::EvictionInput in;
        in.n_layers = 1;
        in.n_tokens = ref.n;
        in.n_heads = ref.heads;
        in.n_kv_heads = ref.kv_heads;
        in.head_dim = ref.d;
        in.k = k.data();
        in.v = v.data();
        in.window_queries = window_q.data();
        in.n_window = ref.w;
        if (ref.m > 0) {
            in.draft_queries = lookahead_q.data();
            in.n_draft = ref.m;
        }
        return in;
    }
};

RandomLayer random_layer(std::mt19937_64& rng, int64_t n, int64_t window, int64_t lookahead, int64_t heads = 4,
                         int64_t kv_heads = 2, int64_t d = 16) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    auto fill = [&](std::vector<float>& v, int64_t count) {
        v.resize(static_cast<size_t>(count));
        for (auto& x : v) x = normal(rng);
    };
    RandomLayer L;
    fill(L.k, n * kv_heads * d);
    fill(L.v, n * kv_heads * d);
    fill(L.all_q, n * heads * d);   // every prompt query (H2O); the window is its tail
    const int64_t w = std::min(window, n);
    L.window_q.assign(L.all_q.end() - w * heads * d, L.all_q.end());
    fill(L.lookahead_q, lookahead * heads * d);
    L.ref = {n, heads, kv_heads, d, {L.k.begin(), L.k.end()}, {L.window_q.begin(), L.window_q.end()}, w,
             {L.lookahead_q.begin(), L.lookahead_q.end()}, lookahead};
    return L;
}

void check_budget(const std::vector<std::vector<int32_t>>& kept, int64_t budget, int64_t n) {
    for (const auto& head : kept) QCOMPARE(static_cast<int64_t>(head.size()), std::min(budget, n));
}

// Float scores against double: kept sets may differ only where the reference's scores are
// within 1e-4 (relative) of its cut.
constexpr double kNearTie = 1e-4;

void check_snapkv(const std::vector<std::vector<int32_t>>& kept, const RandomLayer& L, int64_t budget, int64_t window,
                  int64_t kernel, reference::Reduce reduce = reference::Reduce::Mean) {
    const auto expected = reference::snapkv_keep(L.ref, budget, window, kernel, reduce);
    QCOMPARE(kept.size(), expected.size());
    for (int64_t h = 0; h < L.ref.kv_heads; ++h) {
        const auto& got = kept[static_cast<size_t>(h)];
        const auto& want = expected[static_cast<size_t>(h)];
        if (got == want) continue;
        const auto scores = reference::snapkv_pooled(L.ref, h, window, kernel, reduce);
        QVERIFY2(reference::same_up_to_near_ties(got, want, scores, kNearTie),
                 ("KV head " + std::to_string(h) + " differs beyond a near-tie at budget " + std::to_string(budget)).c_str());
    }
}

// One query head on one KV head (d = 4), n = 24 tokens whose keys are zero but two: token 2
// (e0) and token 6 (e1). One draft query (10 e0) attends almost only to token 2; eight (4 e1)
// give token 6 a moderate share each. Summed, token 6 leads; by the largest weight, token 2.
// The window queries (zero) attend evenly to what they see.
struct ConstructedLayer {
    static constexpr int64_t n = 24, d = 4, n_draft = 9, n_window = 8;
    std::vector<float> k = std::vector<float>(n * d, 0.0f), v = std::vector<float>(n * d, 0.0f);
    std::vector<float> draft = std::vector<float>(n_draft * d, 0.0f), window = std::vector<float>(n_window * d, 0.0f);
    ConstructedLayer() {
        k[2 * d + 0] = 1.0f;
        k[6 * d + 1] = 1.0f;
        draft[0] = 10.0f;
        for (int64_t i = 1; i < n_draft; ++i) draft[static_cast<size_t>(i * d + 1)] = 4.0f;
    }
    engine::EvictionInput input() const {
        engine::EvictionInput in;
        in.n_layers = 1;
        in.n_tokens = n;
        in.n_heads = 1;
        in.n_kv_heads = 1;
        in.head_dim = d;
        in.k = k.data();
        in.v = v.data();
        in.window_queries = window.data();
        in.n_window = n_window;
        in.draft_queries = draft.data();
        in.n_draft = n_draft;
        return in;
    }
};

}  // namespace

class TestEvictionPolicies : public QObject {
    Q_OBJECT

private slots:
    void streamingllm_keeps_sinks_and_recent_tokens() {
        std::mt19937_64 rng(fresh_seed("streamingllm"));
        const auto L = random_layer(rng, 50, 0, 0);
        for (int64_t budget : {1, 3, 4, 5, 20, 49, 50, 80}) {
            engine::StreamingLlmPolicy policy({.budget = budget});
            const auto kept = policy.keep(L.input());
            const int64_t sinks = std::min<int64_t>(4, budget);
            auto expected = reference::ascending(0, budget >= 50 ? 50 : sinks);
            if (budget < 50)
                for (int32_t t : reference::ascending(50 - (budget - sinks), budget - sinks)) expected.push_back(t);
            for (const auto& head : kept) QCOMPARE(head, expected);
            check_budget(kept, budget, 50);
        }
    }

    void snapkv_matches_the_reference() {
        std::mt19937_64 rng(fresh_seed("snapkv"));
        for (int trial = 0; trial < 6; ++trial) {
            const int64_t n = std::uniform_int_distribution<int64_t>(20, 90)(rng);
            const int64_t window = trial < 3 ? 8 : 32;
            const auto L = random_layer(rng, n, window, 0);
            for (int64_t budget : {int64_t{3}, window, window + 1, n / 2 + window / 2, n - 1, n, n + 5}) {
                engine::SnapKvPolicy policy({.budget = budget, .window = window, .pool_kernel = 7});
                QCOMPARE(policy.query_window(), window);
                const auto kept = policy.keep(L.input());
                check_snapkv(kept, L, budget, window, 7);
                check_budget(kept, budget, n);
            }
        }
        // Other kernels too, and a kernel of 1 (no pooling).
        const auto L = random_layer(rng, 60, 8, 0);
        for (int64_t kernel : {1, 3, 9}) {
            engine::SnapKvPolicy policy({.budget = 25, .window = 8, .pool_kernel = kernel});
            check_snapkv(policy.keep(L.input()), L, 25, 8, kernel);
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::SnapKvPolicy({.pool_kernel = 4}));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::SnapKvPolicy({.budget = 0}));
    }

    void pyramid_budgets_shrink_linearly_and_sum_to_the_total() {
        for (int64_t layers : {1, 2, 7, 30}) {
            for (int64_t budget : {16, 32, 33, 64, 100, 256}) {
                const auto b = engine::pyramid_budgets(budget, 32, layers, 20.0);
                QCOMPARE(static_cast<int64_t>(b.size()), layers);
                QCOMPARE(std::accumulate(b.begin(), b.end(), int64_t{0}), budget * layers);
                for (size_t l = 1; l < b.size(); ++l) QVERIFY(b[l] <= b[l - 1] + 1);   // rounding may lift one by 1
                if (budget > 32 && layers > 1) {
                    const double e = static_cast<double>(budget - 32);
                    QVERIFY(std::abs(static_cast<double>(b.back() - 32) - e / 20.0) <= 1.0);
                    QVERIFY(std::abs(static_cast<double>(b.front() - 32) - (2 * e - e / 20.0)) <= 1.0);
                    for (int64_t l = 0; l < layers; ++l) {
                        const double line = (2 * e - e / 20.0) - (2 * e - e / 10.0) * static_cast<double>(l) / (layers - 1);
                        QVERIFY(std::abs(static_cast<double>(b[static_cast<size_t>(l)] - 32) - line) < 1.0);
                    }
                } else {
                    for (auto x : b) QCOMPARE(x, budget);
                }
            }
        }
    }

    void pyramidkv_is_snapkv_with_its_layer_budget() {
        std::mt19937_64 rng(fresh_seed("pyramidkv"));
        const int64_t n = 120, layers = 5, budget = 40, window = 8;
        const auto budgets = engine::pyramid_budgets(budget, window, layers, 20.0);
        engine::PyramidKvPolicy policy({.budget = budget, .window = window});
        int64_t total = 0;
        for (int64_t l = 0; l < layers; ++l) {
            const auto L = random_layer(rng, n, window, 0);
            auto in = L.input();
            in.layer = l;
            in.n_layers = layers;
            const auto kept = policy.keep(in);
            check_snapkv(kept, L, budgets[static_cast<size_t>(l)], window, 7);
            total += static_cast<int64_t>(kept[0].size());
        }
        QCOMPARE(total, budget * layers);
        // A layer count given up front must be the model's.
        const auto other_layer = random_layer(rng, n, window, 0);
        auto other = other_layer.input();
        other.n_layers = layers;
        QCOMPARE(engine::PyramidKvPolicy({.budget = budget, .n_layers = layers, .window = window}).keep(other).size(), size_t{2});
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::PyramidKvPolicy({.budget = budget, .n_layers = layers + 1, .window = window}).keep(other));
        // B >= n: every layer keeps everything, even where its pyramid share is smaller.
        const auto L = random_layer(rng, 30, window, 0);
        auto in = L.input();
        in.layer = 4;
        in.n_layers = layers;
        QCOMPARE(engine::PyramidKvPolicy({.budget = 30, .window = window}).keep(in)[1], reference::ascending(0, 30));
    }

    // Windowed reading's question after a window (the probe) chooses with its queries but is
    // never kept and takes none of the budget. For SnapKV with the probe inside its window,
    // that is what a budget larger by the probe keeps, the probe (kept with the window) left out.
    void a_probe_is_never_kept_and_takes_no_budget() {
        std::mt19937_64 rng(fresh_seed("probe"));
        const int64_t n = 60, window = 8, probe = 5;
        const auto L = random_layer(rng, n, window, 0);
        const std::vector<float> key_attention(static_cast<size_t>(L.ref.heads * n), 1.0f);
        auto in = L.input();
        in.n_probe = probe;
        in.key_attention = key_attention.data();
        for (int64_t budget : {int64_t{3}, int64_t{20}, n - probe - 1, n - probe, n}) {
            engine::SnapKvPolicy snapkv({.budget = budget, .window = window, .pool_kernel = 7});
            engine::StreamingLlmPolicy streaming({.budget = budget});
            engine::H2oPolicy h2o({.budget = budget});
            for (engine::EvictionPolicy* policy : std::initializer_list<engine::EvictionPolicy*>{&snapkv, &streaming, &h2o}) {
                const auto kept = policy->keep(in);
                engine::check_kept_indices(*policy, in, kept);
                check_budget(kept, budget, n - probe);
            }
            if (budget <= window) continue;
            auto with_probe = snapkv.keep(in);
            for (auto& head : with_probe)
                for (int32_t t : reference::ascending(n - probe, probe)) head.push_back(t);
            check_snapkv(with_probe, L, std::min(budget + probe, n), window, 7);
        }
        // A policy that returns a probe token breaks the contract.
        engine::FullPolicy full;
        auto all = full.keep(L.input());
        QCOMPARE(static_cast<int64_t>(full.keep(in)[0].size()), n - probe);
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::check_kept_indices(full, in, all));
    }

    void h2o_keeps_heavy_hitters_and_recent_tokens() {
        std::mt19937_64 rng(fresh_seed("h2o"));
        for (int trial = 0; trial < 5; ++trial) {
            const int64_t n = std::uniform_int_distribution<int64_t>(10, 80)(rng);
            const auto L = random_layer(rng, n, 0, 0);
            // The full causal attention matrix of every prompt query, summed per key.
            std::vector<double> received(static_cast<size_t>(L.ref.heads * n), 0.0);
            for (int64_t h = 0; h < L.ref.heads; ++h)
                for (int64_t i = 0; i < n; ++i) {
                    std::vector<double> q(L.all_q.begin() + (i * L.ref.heads + h) * L.ref.d,
                                          L.all_q.begin() + (i * L.ref.heads + h + 1) * L.ref.d);
                    const auto row = reference::attention_row(L.ref, q.data(), h, i + 1);
                    for (int64_t j = 0; j < n; ++j) received[static_cast<size_t>(h * n + j)] += row[static_cast<size_t>(j)];
                }
            const std::vector<float> key_attention(received.begin(), received.end());
            auto in = L.input();
            in.key_attention = key_attention.data();
            for (int64_t budget : {int64_t{1}, int64_t{2}, int64_t{7}, n / 2, n - 1, n, n + 3}) {
                engine::H2oPolicy policy({.budget = budget});
                QVERIFY(policy.wants_key_attention());
                const auto kept = policy.keep(in);
                check_budget(kept, budget, n);
                for (int64_t kvh = 0; kvh < L.ref.kv_heads; ++kvh) {
                    std::vector<int32_t> expected = reference::ascending(0, n);
                    if (budget < n) {
                        const int64_t recent = budget / 2, older = n - recent, group = L.ref.heads / L.ref.kv_heads;
                        std::vector<double> score(static_cast<size_t>(older), 0.0);
                        for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
                            for (int64_t j = 0; j < older; ++j) score[static_cast<size_t>(j)] += received[static_cast<size_t>(h * n + j)];
                        expected = reference::best(score, budget - recent);
                        for (int32_t t : reference::ascending(older, recent)) expected.push_back(t);
                    }
                    QCOMPARE(kept[static_cast<size_t>(kvh)], expected);
                }
            }
        }
    }

    void lookahead_selection_adds_the_draft_queries() {
        std::mt19937_64 rng(fresh_seed("lookahead"));
        using reference::Reduce;
        for (int trial = 0; trial < 4; ++trial) {
            const int64_t n = std::uniform_int_distribution<int64_t>(40, 90)(rng);
            const auto L = random_layer(rng, n, 8, 5);
            // SpecKV: the whole window and the draft, the largest weight over the queries.
            engine::DraftPolicy speckv({.budget = 20, .window = 8, .draft_model_path = "unused.gguf"}, engine::DraftSource::DraftModel);
            check_snapkv(speckv.keep(L.input()), L, 20, 8, 7, Reduce::Max);
            // LAQ: the draft's queries alone, averaged; LAQ++: the last 8 prompt queries join them.
            engine::DraftPolicy laq({.budget = 20, .window = 8}, engine::DraftSource::CompressedSelf);
            check_snapkv(laq.keep(L.input()), L, 20, 0, 7, Reduce::Mean);
            engine::DraftPolicy laqpp({.budget = 20, .window = 8, .laq_stage2_window = 8}, engine::DraftSource::CompressedSelf);
            check_snapkv(laqpp.keep(L.input()), L, 20, 8, 7, Reduce::Mean);
            // A stage-2 window shorter than the recorded one is its tail.
            engine::DraftPolicy laq4({.budget = 20, .window = 8, .laq_stage2_window = 4}, engine::DraftSource::CompressedSelf);
            check_snapkv(laq4.keep(L.input()), L, 20, 4, 7, Reduce::Mean);
            // The reduction can be swapped either way.
            engine::DraftPolicy laq_max({.budget = 20, .window = 8, .draft_reduction = engine::ScoreReduction::Max},
                                        engine::DraftSource::CompressedSelf);
            check_snapkv(laq_max.keep(L.input()), L, 20, 0, 7, Reduce::Max);
            check_budget(laq.keep(L.input()), 20, n);
            // Without a draft it refuses rather than quietly acting as SnapKV.
            auto no_draft = L.input();
            no_draft.n_draft = 0;
            no_draft.draft_queries = nullptr;
            QVERIFY_THROWS_EXCEPTION(engine::Error, laq.keep(no_draft));
        }
    }

    void max_and_mean_over_queries_choose_differently() {
        const ConstructedLayer layer;
        auto in = layer.input();
        in.n_window = 0;   // the draft's queries only
        for (auto reduction : {engine::ScoreReduction::Mean, engine::ScoreReduction::Max}) {
            const auto fast = engine::window_attention(in, layer.n, reduction)[0];
            const auto ref = engine::prefix_attention(in, 0, layer.n, reduction);
            for (int64_t j = 0; j < layer.n; ++j) QVERIFY(std::abs(fast[static_cast<size_t>(j)] - ref[static_cast<size_t>(j)]) < 1e-5);
            const bool mean = reduction == engine::ScoreReduction::Mean;
            QVERIFY(mean ? ref[6] > ref[2] * 1.5 : ref[2] > ref[6] * 3.0);
        }
        // One token kept: the draft policies pick by their reduction. LAQ averages (token 6),
        // SpecKV takes the largest weight (token 2); each flips with --draft-reduction.
        auto kept = [&](std::optional<engine::ScoreReduction> reduction, engine::DraftSource source) {
            engine::PolicyOptions o{.budget = 1, .window = 8, .pool_kernel = 1, .draft_model_path = "unused.gguf"};
            o.draft_reduction = reduction;
            return engine::DraftPolicy(o, source).keep(in)[0];
        };
        using engine::DraftSource;
        using engine::ScoreReduction;
        QCOMPARE(kept(std::nullopt, DraftSource::CompressedSelf), std::vector<int32_t>{6});
        QCOMPARE(kept(ScoreReduction::Max, DraftSource::CompressedSelf), std::vector<int32_t>{2});
        QCOMPARE(kept(std::nullopt, DraftSource::DraftModel), std::vector<int32_t>{2});
        QCOMPARE(kept(ScoreReduction::Mean, DraftSource::DraftModel), std::vector<int32_t>{6});
    }

    void laq_stage2_window_decides_whether_the_prompt_tail_scores_and_stays() {
        const ConstructedLayer layer;
        const auto in = layer.input();   // 8 window queries recorded, as pass 1 does
        const std::vector<int32_t> tail{16, 17, 18, 19, 20, 21, 22, 23};
        auto has_tail = [&](const std::vector<int32_t>& kept) {
            return std::includes(kept.begin(), kept.end(), tail.begin(), tail.end());
        };
        // 0 (LAQ): the draft alone scores all 24 tokens; the zero-key tail gets little and goes.
        engine::DraftPolicy laq({.budget = 10, .window = 8, .pool_kernel = 1}, engine::DraftSource::CompressedSelf);
        QCOMPARE(laq.reselect_window(), int64_t{0});
        const auto laq_kept = laq.keep(in)[0];
        QCOMPARE(laq_kept, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        QVERIFY(!has_tail(laq_kept));
        // 8 (LAQ++): the last 8 prompt queries join the draft's, and their tokens are kept.
        engine::DraftPolicy laqpp({.budget = 10, .window = 8, .pool_kernel = 1, .laq_stage2_window = 8},
                                  engine::DraftSource::CompressedSelf);
        QCOMPARE(laqpp.reselect_window(), int64_t{8});
        const auto pp_kept = laqpp.keep(in)[0];
        QVERIFY(has_tail(pp_kept));
        QVERIFY(std::find(pp_kept.begin(), pp_kept.end(), 2) != pp_kept.end());
        QVERIFY(std::find(pp_kept.begin(), pp_kept.end(), 6) != pp_kept.end());
        // SpecKV always re-selects with its observation window; LAQ's option does not touch it.
        engine::DraftPolicy speckv({.budget = 10, .window = 8, .pool_kernel = 1, .draft_model_path = "unused.gguf"},
                                   engine::DraftSource::DraftModel);
        QCOMPARE(speckv.reselect_window(), int64_t{8});
        QVERIFY(has_tail(speckv.keep(in)[0]));
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 engine::DraftPolicy({.laq_stage2_window = -1}, engine::DraftSource::CompressedSelf));
    }

    void draft_policies_take_their_papers_defaults() {
        const engine::DraftPolicy laq({.budget = 64, .answer_tokens = 40}, engine::DraftSource::CompressedSelf);
        QCOMPARE(laq.options().draft_tokens, int64_t{8});
        QVERIFY(laq.options().draft_reduction == engine::ScoreReduction::Mean);
        const engine::DraftPolicy speckv({.budget = 64, .answer_tokens = 40, .draft_model_path = "d.gguf"},
                                         engine::DraftSource::DraftModel);
        QCOMPARE(speckv.options().draft_tokens, int64_t{40});   // a whole answer
        QVERIFY(speckv.options().draft_reduction == engine::ScoreReduction::Max);
        QCOMPARE(speckv.reselect_window(), int64_t{32});
        // Given values win.
        const engine::DraftPolicy given({.budget = 64, .draft_tokens = 5, .answer_tokens = 40,
                                         .draft_reduction = engine::ScoreReduction::Mean, .draft_model_path = "d.gguf"},
                                        engine::DraftSource::DraftModel);
        QCOMPARE(given.options().draft_tokens, int64_t{5});
        QVERIFY(given.options().draft_reduction == engine::ScoreReduction::Mean);
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::DraftPolicy({.draft_tokens = -1}, engine::DraftSource::CompressedSelf));
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 engine::DraftPolicy({.answer_tokens = 0, .draft_model_path = "d.gguf"}, engine::DraftSource::DraftModel));
    }

    void float_window_scores_match_the_double_reference() {
        std::mt19937_64 rng(fresh_seed("window scores"));
        const auto backend = engine::make_cpu_backend(2);
        for (int trial = 0; trial < 4; ++trial) {
            // Model-sized heads (64) reach the SIMD kernels' full blocks and their tails.
            const int64_t n = std::uniform_int_distribution<int64_t>(100, 400)(rng);
            const int64_t d = trial % 2 == 0 ? 64 : 24;
            const auto L = random_layer(rng, n, 32, trial < 2 ? 0 : 9, 6, 2, d);
            auto in = L.input();
            if (trial % 2 == 1) in.backend = backend.get();   // threaded; otherwise a one-thread backend
            const int64_t prefix = n - in.n_window;
            for (auto reduction : {engine::ScoreReduction::Mean, engine::ScoreReduction::Max}) {
                const auto fast = engine::window_attention(in, prefix, reduction);
                QCOMPARE(static_cast<int64_t>(fast.size()), in.n_kv_heads);
                for (int64_t h = 0; h < in.n_kv_heads; ++h) {
                    const auto ref = engine::prefix_attention(in, h, prefix, reduction);
                    const double top = *std::max_element(ref.begin(), ref.end());
                    for (int64_t j = 0; j < prefix; ++j) {
                        const double err = std::abs(fast[static_cast<size_t>(h)][static_cast<size_t>(j)] - ref[static_cast<size_t>(j)]);
                        QVERIFY2(err <= 1e-5 * ref[static_cast<size_t>(j)] + 1e-6 * top,
                                 ("head " + std::to_string(h) + " token " + std::to_string(j)).c_str());
                    }
                }
            }
        }
        engine::EvictionInput no_values = random_layer(rng, 40, 8, 0).input();
        no_values.v = nullptr;
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::window_attention(no_values, 32));
    }

    void lookahead_rows_attention_sums_match_the_double_reference() {
        // The policy scores from the rows' own attention call (past = the prompt, its per-key
        // sums); the double reference recomputes them from queries and keys.
        std::mt19937_64 rng(fresh_seed("lookahead sums"));
        std::normal_distribution<float> normal(0.0f, 1.0f);
        const auto backend = engine::make_cpu_backend(2);
        const int64_t heads = 9, kv_heads = 3, d = 64, rows = 32, group = heads / kv_heads;
        for (int64_t n : {int64_t{50}, int64_t{333}}) {
            auto random = [&](int64_t count) {
                std::vector<float> x(static_cast<size_t>(count));
                for (auto& e : x) e = normal(rng);
                return x;
            };
            const auto prompt_k = random(n * kv_heads * d), prompt_v = random(n * kv_heads * d);
            const auto q = random(rows * heads * d), k = random(rows * kv_heads * d), v = random(rows * kv_heads * d);
            std::vector<engine::KvSpan> prompt;
            std::vector<std::vector<float>> sums(static_cast<size_t>(kv_heads), std::vector<float>(static_cast<size_t>(n), 0.0f));
            std::vector<float*> sum_of;
            for (int64_t h = 0; h < kv_heads; ++h) {
                prompt.push_back({prompt_k.data() + h * d, prompt_v.data() + h * d, n, kv_heads * d});
                sum_of.push_back(sums[static_cast<size_t>(h)].data());
            }
            std::vector<float> out(static_cast<size_t>(rows * heads * d));
            engine::AttentionArgs a;
            a.q = q.data();
            a.n_q = rows;
            a.n_heads = heads;
            a.n_kv_heads = kv_heads;
            a.head_dim = d;
            a.past = prompt;
            a.k = k.data();
            a.v = v.data();
            a.n_cur = rows;
            a.scale = 1.0f / std::sqrt(static_cast<float>(d));
            a.out = out.data();
            a.past_attention = sum_of.data();
            backend->attention(a);
            const engine::LookaheadQueries queries{q.data(), k.data(), rows, heads, kv_heads, d};
            for (int64_t h = 0; h < kv_heads; ++h) {
                const auto ref = engine::lookahead_prompt_attention(queries, prompt[static_cast<size_t>(h)], h);
                const double top = *std::max_element(ref.begin(), ref.end());
                for (int64_t j = 0; j < n; ++j) {
                    const double got = sums[static_cast<size_t>(h)][static_cast<size_t>(j)] / static_cast<double>(group * rows);
                    QVERIFY(std::abs(got - ref[static_cast<size_t>(j)]) <= 1e-5 * ref[static_cast<size_t>(j)] + 1e-6 * top);
                }
            }
        }
    }

    void ties_go_to_the_lower_index() {
        const std::vector<double> scores{1.0, 3.0, 3.0, 2.0, 3.0};
        const std::vector<float> floats(scores.begin(), scores.end());
        QCOMPARE(engine::top_indices(scores, 2), (std::vector<int32_t>{1, 2}));
        QCOMPARE(engine::top_indices(floats, 2), (std::vector<int32_t>{1, 2}));
        QCOMPARE(engine::top_indices(floats, 3), (std::vector<int32_t>{1, 2, 4}));
        QCOMPARE(engine::top_indices(floats, 4), (std::vector<int32_t>{1, 2, 3, 4}));
        // Max-pooling makes plateaus: the peak's neighbours tie with it, the leftmost win.
        const std::vector<float> peak{0.1f, 0.2f, 0.1f, 0.9f, 0.1f, 0.3f, 0.1f};
        const auto pooled = engine::max_pool(peak, 3);
        QCOMPARE(pooled, (std::vector<float>{0.2f, 0.2f, 0.9f, 0.9f, 0.9f, 0.3f, 0.3f}));
        QCOMPARE(engine::top_indices(pooled, 2), (std::vector<int32_t>{2, 3}));
        QCOMPARE(engine::top_indices(pooled, 4), (std::vector<int32_t>{2, 3, 4, 5}));
        QCOMPARE(engine::top_indices(pooled, 6), (std::vector<int32_t>{0, 2, 3, 4, 5, 6}));
        // The near-tie rule of the comparisons above: a swap at the cut passes, a real
        // difference does not.
        const std::vector<double> near{0.5, 0.30000001, 0.3, 0.1};
        QVERIFY(reference::same_up_to_near_ties({0, 2}, {0, 1}, near, kNearTie));
        QVERIFY(!reference::same_up_to_near_ties({0, 3}, {0, 1}, near, kNearTie));
    }

    void registry_builds_every_policy_by_name() {
        // An adapter path is only opened on the first layer (with the model at hand).
        engine::PolicyOptions options{.budget = 64, .draft_model_path = "draft.gguf", .adapter_path = "model.lookahead.gguf"};
        for (const auto& name : engine::policy_names()) {
            const auto policy = engine::make_policy(name, options);
            QCOMPARE(policy->name(), name);
            QVERIFY(engine::describe_policy(name).starts_with(name + ":"));
        }
        QVERIFY(engine::describe_policy("laq").find("full cache of all layers") != std::string::npos);
        QVERIFY(engine::describe_policy("snapkv").find("32") != std::string::npos);
        QCOMPARE(engine::make_policy("streamingllm", options)->name(), std::string("streaming"));
        QVERIFY(engine::describe_policies().find("  pyramidkv: ") != std::string::npos);
        QCOMPARE(engine::eviction_policies().size(), engine::policy_names().size());
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::make_policy("lru", options));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::describe_policy("lru"));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::make_policy("speckv", engine::PolicyOptions{}));   // no draft
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::make_policy("lookahead", engine::PolicyOptions{}));   // no adapter
    }

    void footprint_counts_kept_and_full_bytes() {
        engine::CompressedCache cache(3, 2, 8, 42);
        const std::vector<int32_t> tokens(10, 5);
        cache.add_tokens(tokens);
        int64_t entries = 0;
        for (int64_t l = 0; l < 3; ++l)
            for (int64_t h = 0; h < 2; ++h) {
                auto& head = cache.head(l, h);
                for (int32_t t = 0; t < 2 + l + h; ++t, ++entries) {
                    head.positions.push_back(t);
                    head.k.resize(head.k.size() + 8);
                    head.v.resize(head.v.size() + 8);
                }
            }
        const auto f = engine::kv_footprint(cache);
        QCOMPARE(f.kept_bytes, entries * 8 * 2 * 4);
        QCOMPARE(f.full_bytes, int64_t{10 * 3 * 2 * 8 * 2 * 4});
        QCOMPARE(f.kept_fraction(), static_cast<double>(entries) / 60.0);
        QVERIFY(f.summary().starts_with("kept 0.0 MiB of 0.0 MiB ("));
        QVERIFY(f.summary().find("%)") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestEvictionPolicies)
#include "test_eviction_policies.moc"
