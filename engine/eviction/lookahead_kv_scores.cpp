#include "engine/eviction/lookahead_kv_scores.h"

#include <algorithm>
#include <cmath>

namespace engine {

std::vector<double> lookahead_prompt_attention(const LookaheadQueries& r, const KvSpan& prompt, int64_t kv_head) {
    const int64_t n = prompt.n, hd = r.head_dim;
    const int64_t group = r.n_heads / r.n_kv_heads;
    const int64_t q_dim = r.n_heads * hd, kv_dim = r.n_kv_heads * hd;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
    std::vector<double> totals(static_cast<size_t>(n), 0.0), logits(static_cast<size_t>(n + r.rows));
    auto dot = [hd](const float* a, const float* b) {
        double sum = 0.0;
        for (int64_t d = 0; d < hd; ++d) sum += static_cast<double>(a[d]) * b[d];
        return sum;
    };
    for (int64_t h = kv_head * group; h < (kv_head + 1) * group; ++h)
        for (int64_t i = 0; i < r.rows; ++i) {
            const float* q = r.q + i * q_dim + h * hd;
            const int64_t visible = n + i + 1;   // the prompt, then lookahead rows 0 ..= i
            double top = -INFINITY;
            for (int64_t j = 0; j < n; ++j) top = std::max(top, logits[static_cast<size_t>(j)] = dot(q, prompt.k + j * prompt.stride) * scale);
            for (int64_t j = 0; j <= i; ++j)
                top = std::max(top, logits[static_cast<size_t>(n + j)] = dot(q, r.k + j * kv_dim + kv_head * hd) * scale);
            double sum = 0.0;
            for (int64_t j = 0; j < visible; ++j) sum += (logits[static_cast<size_t>(j)] = std::exp(logits[static_cast<size_t>(j)] - top));
            for (int64_t j = 0; j < n; ++j) totals[static_cast<size_t>(j)] += logits[static_cast<size_t>(j)] / sum;
        }
    const double count = static_cast<double>(group * r.rows);
    for (double& t : totals) t /= count;
    return totals;
}

}  // namespace engine
