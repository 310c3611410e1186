#include "engine/eviction/eviction_scoring.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace engine {

std::vector<std::vector<float>> window_attention_scores(const LayerKeepInput& in) {
    const int64_t n = in.n_tokens, w = in.n_window, d = in.head_dim;
    const int64_t group = in.n_heads / in.n_kv_heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    std::vector<std::vector<float>> scores(static_cast<size_t>(in.n_kv_heads), std::vector<float>(static_cast<size_t>(n), 0.0f));
    std::vector<float> row(static_cast<size_t>(n));
    for (int64_t h = 0; h < in.n_heads; ++h) {
        const int64_t kv = h / group;
        auto& out = scores[static_cast<size_t>(kv)];
        for (int64_t i = 0; i < w; ++i) {
            const float* q = in.window_queries + (i * in.n_heads + h) * d;
            const int64_t visible = n - w + i + 1;   // causal
            float top = -INFINITY;
            for (int64_t j = 0; j < visible; ++j) {
                const float* k = in.k + (j * in.n_kv_heads + kv) * d;
                float dot = 0;
                for (int64_t x = 0; x < d; ++x) dot += q[x] * k[x];
                row[static_cast<size_t>(j)] = dot * scale;
                top = std::max(top, row[static_cast<size_t>(j)]);
            }
            float sum = 0;
            for (int64_t j = 0; j < visible; ++j) sum += (row[static_cast<size_t>(j)] = std::exp(row[static_cast<size_t>(j)] - top));
            const float weight = 1.0f / (sum * static_cast<float>(w * group));
            for (int64_t j = 0; j < visible; ++j) out[static_cast<size_t>(j)] += row[static_cast<size_t>(j)] * weight;
        }
    }
    return scores;
}

std::vector<float> max_pool(const std::vector<float>& scores, int64_t n, int64_t kernel) {
    std::vector<float> out(static_cast<size_t>(n));
    const int64_t half = kernel / 2;
    for (int64_t j = 0; j < n; ++j) {
        float m = -INFINITY;
        for (int64_t x = std::max<int64_t>(0, j - half); x <= std::min(n - 1, j + half); ++x)
            m = std::max(m, scores[static_cast<size_t>(x)]);
        out[static_cast<size_t>(j)] = m;
    }
    return out;
}

std::vector<int32_t> top_indices(const std::vector<float>& scores, int64_t n, int64_t count) {
    count = std::clamp<int64_t>(count, 0, n);
    std::vector<int32_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    auto better = [&](int32_t a, int32_t b) {
        const float sa = scores[static_cast<size_t>(a)], sb = scores[static_cast<size_t>(b)];
        return sa != sb ? sa > sb : a < b;
    };
    std::partial_sort(idx.begin(), idx.begin() + count, idx.end(), better);
    idx.resize(static_cast<size_t>(count));
    std::sort(idx.begin(), idx.end());
    return idx;
}

std::vector<int32_t> recent_indices(int64_t n, int64_t count) {
    count = std::clamp<int64_t>(count, 0, n);
    std::vector<int32_t> idx(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), static_cast<int32_t>(n - count));
    return idx;
}

std::vector<int32_t> snap_select(const std::vector<float>& scores, int64_t n, int64_t budget, int64_t window,
                                 int64_t kernel) {
    if (budget >= n) return recent_indices(n, n);
    if (budget <= window) return recent_indices(n, budget);
    const int64_t prefix = n - window;
    auto kept = top_indices(max_pool(scores, prefix, kernel), prefix, budget - window);
    for (int64_t j = prefix; j < n; ++j) kept.push_back(static_cast<int32_t>(j));
    return kept;
}

}  // namespace engine
