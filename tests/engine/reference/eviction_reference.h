#pragma once
// Naive double-precision references for the eviction policies' selections: full score
// matrices, explicit softmax, a sort of all candidates. Ties: the lower index wins.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <vector>

namespace reference {

// Shapes and data of one layer, all in double. k: [n][kv_heads][d]; queries: [m][heads][d].
struct LayerData {
    int64_t n = 0, heads = 0, kv_heads = 0, d = 0;
    std::vector<double> k;
    std::vector<double> window_q;      // the last w tokens' queries
    int64_t w = 0;
    std::vector<double> lookahead_q;   // queries after the prompt
    int64_t m = 0;
};

inline std::vector<int32_t> ascending(int64_t first, int64_t count) {
    std::vector<int32_t> out(static_cast<size_t>(std::max<int64_t>(count, 0)));
    std::iota(out.begin(), out.end(), static_cast<int32_t>(first));
    return out;
}

// Best `k` of `scores`, ascending indices; sorts every candidate.
inline std::vector<int32_t> best(const std::vector<double>& scores, int64_t k) {
    std::vector<int32_t> order = ascending(0, static_cast<int64_t>(scores.size()));
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        if (scores[a] != scores[b]) return scores[a] > scores[b];
        return a < b;
    });
    order.resize(static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(order.size()))));
    std::sort(order.begin(), order.end());
    return order;
}

// The full softmax row of query q (head h) over keys [0, visible), zeros after.
inline std::vector<double> attention_row(const LayerData& L, const double* q, int64_t h, int64_t visible) {
    const int64_t kvh = h / (L.heads / L.kv_heads);
    std::vector<double> row(static_cast<size_t>(L.n), 0.0);
    double top = -1e300, sum = 0.0;
    for (int64_t j = 0; j < visible; ++j) {
        double dot = 0.0;
        for (int64_t x = 0; x < L.d; ++x) dot += q[x] * L.k[static_cast<size_t>((j * L.kv_heads + kvh) * L.d + x)];
        row[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(L.d));
        top = std::max(top, row[static_cast<size_t>(j)]);
    }
    for (int64_t j = 0; j < visible; ++j) sum += row[static_cast<size_t>(j)] = std::exp(row[static_cast<size_t>(j)] - top);
    for (int64_t j = 0; j < visible; ++j) row[static_cast<size_t>(j)] /= sum;
    return row;
}

// How a token's weights from many queries become one score (engine::ScoreReduction).
enum class Reduce { Mean, Max };

// SnapKV's max-pooled score of each token before the window, for KV head kvh: per query head
// the weights from the window and lookahead queries reduced over those queries, then averaged
// over the query heads of the group.
inline std::vector<double> snapkv_pooled(const LayerData& L, int64_t kvh, int64_t window, int64_t kernel,
                                         Reduce reduce = Reduce::Mean) {
    const int64_t w = std::min(window, L.n);
    const int64_t prefix = L.n - w, group = L.heads / L.kv_heads;
    const int64_t skip = std::max<int64_t>(0, L.w - w);   // a shorter window is the tail of L's
    std::vector<double> score(static_cast<size_t>(prefix), 0.0);
    for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
        std::vector<std::vector<double>> rows;   // every query's weights over the prefix
        for (int64_t i = 0; i < w; ++i)
            rows.push_back(
                attention_row(L, &L.window_q[static_cast<size_t>(((skip + i) * L.heads + h) * L.d)], h, L.n - w + i + 1));
        for (int64_t i = 0; i < L.m; ++i)
            rows.push_back(attention_row(L, &L.lookahead_q[static_cast<size_t>((i * L.heads + h) * L.d)], h, L.n));
        for (int64_t j = 0; j < prefix; ++j) {
            double reduced = 0.0;
            for (const auto& row : rows) reduced = reduce == Reduce::Mean ? reduced + row[j] : std::max(reduced, row[j]);
            if (reduce == Reduce::Mean && !rows.empty()) reduced /= static_cast<double>(rows.size());
            score[j] += reduced / static_cast<double>(group);
        }
    }
    std::vector<double> pooled(static_cast<size_t>(prefix));
    for (int64_t j = 0; j < prefix; ++j) {
        double m = -1e300;
        for (int64_t x = j - kernel / 2; x <= j + kernel / 2; ++x)
            if (x >= 0 && x < prefix) m = std::max(m, score[x]);
        pooled[j] = m;
    }
    return pooled;
}

// SnapKV (with optional lookahead queries) kept set per KV head for budget b: the last
// min(window, n) tokens and the best of the rest. A window of 0 scores by the lookahead
// queries alone and keeps no tail.
inline std::vector<std::vector<int32_t>> snapkv_keep(const LayerData& L, int64_t b, int64_t window, int64_t kernel,
                                                     Reduce reduce = Reduce::Mean) {
    std::vector<std::vector<int32_t>> out(static_cast<size_t>(L.kv_heads));
    const int64_t w = std::min(window, L.n);
    for (int64_t kvh = 0; kvh < L.kv_heads; ++kvh) {
        if (b >= L.n) { out[kvh] = ascending(0, L.n); continue; }
        if (b <= w) { out[kvh] = ascending(L.n - b, b); continue; }
        out[kvh] = best(snapkv_pooled(L, kvh, window, kernel, reduce), b - w);
        for (int32_t t : ascending(L.n - w, w)) out[kvh].push_back(t);
    }
    return out;
}

// Whether `kept` (ascending indices) equals `expected` except where the reference scores are a near-tie: every token in one set but
// not the other scores within `tolerance` (relative) of the lowest score kept by `expected`.
inline bool same_up_to_near_ties(const std::vector<int32_t>& kept, const std::vector<int32_t>& expected,
                                 const std::vector<double>& scores, double tolerance) {
    if (kept.size() != expected.size()) return false;
    double cut = 1e300;
    for (int32_t t : expected)
        if (t < static_cast<int32_t>(scores.size())) cut = std::min(cut, scores[static_cast<size_t>(t)]);
    std::vector<int32_t> differ;
    std::set_symmetric_difference(kept.begin(), kept.end(), expected.begin(), expected.end(), std::back_inserter(differ));
    for (int32_t t : differ)
        if (t >= static_cast<int32_t>(scores.size()) || std::abs(scores[static_cast<size_t>(t)] - cut) > tolerance * cut) return false;
    return true;
}

}  // namespace reference
