#include "engine/eviction/token_selection.h"

#include "engine/error.h"

#include <algorithm>
#include <memory>
#include <cmath>
#include <numeric>

namespace engine {

namespace {

template <typename Score>
std::vector<int32_t> top_of(const std::vector<Score>& scores, int64_t k) {
    const int64_t n = static_cast<int64_t>(scores.size());
    k = std::clamp<int64_t>(k, 0, n);
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // A strict order (ties: the lower index first), so the k first are one set: found in
    // linear time, then put in index order.
    if (k < n)
        std::nth_element(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
            const Score sa = scores[static_cast<size_t>(a)], sb = scores[static_cast<size_t>(b)];
            return sa > sb || (sa == sb && a < b);
        });
    order.resize(static_cast<size_t>(k));
    std::sort(order.begin(), order.end());
    return order;
}

template <typename Score>
std::vector<Score> pooled(const std::vector<Score>& scores, int64_t kernel) {
    if (kernel < 1 || kernel % 2 == 0) throw Error("max-pooling kernel must be a positive odd number, got " + std::to_string(kernel));
    const int64_t n = static_cast<int64_t>(scores.size()), half = kernel / 2;
    std::vector<Score> out(scores.size());
    for (int64_t i = 0; i < n; ++i) {
        const int64_t lo = std::max<int64_t>(0, i - half), hi = std::min(n - 1, i + half);
        out[static_cast<size_t>(i)] = *std::max_element(scores.begin() + lo, scores.begin() + hi + 1);
    }
    return out;
}

}  // namespace

std::vector<int32_t> top_indices(const std::vector<double>& scores, int64_t k) { return top_of(scores, k); }
std::vector<int32_t> top_indices(const std::vector<float>& scores, int64_t k) { return top_of(scores, k); }
std::vector<double> max_pool(const std::vector<double>& scores, int64_t kernel) { return pooled(scores, kernel); }
std::vector<float> max_pool(const std::vector<float>& scores, int64_t kernel) { return pooled(scores, kernel); }

namespace {

// One query head's softmax weights over new tokens [0, visible), folded into the prefix
// scores: added (Mean) or kept where larger (Max).
void add_query(const EvictionInput& in, int64_t kv_head, const float* q, int64_t visible, int64_t n_prefix,
               ScoreReduction reduction, std::vector<double>& logits, std::vector<double>& scores) {
    const double scale = 1.0 / std::sqrt(static_cast<double>(in.head_dim));
    const int64_t kv_dim = in.n_kv_heads * in.head_dim;
    double top = -INFINITY;
    for (int64_t j = 0; j < visible; ++j) {
        const float* k = in.k + j * kv_dim + kv_head * in.head_dim;
        double dot = 0.0;
        for (int64_t d = 0; d < in.head_dim; ++d) dot += static_cast<double>(q[d]) * k[d];
        logits[static_cast<size_t>(j)] = dot * scale;
        top = std::max(top, dot * scale);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < visible; ++j) sum += (logits[static_cast<size_t>(j)] = std::exp(logits[static_cast<size_t>(j)] - top));
    for (int64_t j = 0; j < std::min(visible, n_prefix); ++j) {
        const double weight = logits[static_cast<size_t>(j)] / sum;
        double& score = scores[static_cast<size_t>(j)];
        score = reduction == ScoreReduction::Mean ? score + weight : std::max(score, weight);
    }
}

}  // namespace

std::vector<double> prefix_attention(const EvictionInput& in, int64_t kv_head, int64_t n_prefix, ScoreReduction reduction) {
    const int64_t group = in.n_heads / in.n_kv_heads;
    const int64_t q_dim = in.n_heads * in.head_dim;
    const int64_t n_queries = in.n_window + in.n_draft;
    std::vector<double> totals(static_cast<size_t>(n_prefix), 0.0), logits(static_cast<size_t>(in.n_tokens));
    if (n_queries == 0) return totals;
    std::vector<double> head(static_cast<size_t>(n_prefix));
    for (int64_t h = kv_head * group; h < (kv_head + 1) * group; ++h) {
        std::fill(head.begin(), head.end(), 0.0);
        for (int64_t i = 0; i < in.n_window; ++i) {
            const int64_t token = in.n_tokens - in.n_window + i;
            add_query(in, kv_head, in.window_queries + i * q_dim + h * in.head_dim, token + 1, n_prefix, reduction, logits, head);
        }
        for (int64_t i = 0; i < in.n_draft; ++i)
            add_query(in, kv_head, in.draft_queries + i * q_dim + h * in.head_dim, in.n_tokens, n_prefix, reduction, logits, head);
        const double per_head = reduction == ScoreReduction::Mean ? static_cast<double>(n_queries) : 1.0;
        for (int64_t j = 0; j < n_prefix; ++j) totals[static_cast<size_t>(j)] += head[static_cast<size_t>(j)] / per_head;
    }
    for (double& t : totals) t /= static_cast<double>(group);
    return totals;
}

namespace {

// window_attention's Max: each query on its own through the kernel (its per-key output is a
// sum over the call's queries), the largest weight per query head and token kept, then the
// query heads of each KV group averaged.
std::vector<std::vector<float>> max_attention(const EvictionInput& in, int64_t n_prefix, Backend& be) {
    const int64_t n = in.n_tokens, hd = in.head_dim, group = in.n_heads / in.n_kv_heads;
    const int64_t q_dim = in.n_heads * hd;
    std::vector<float> out(static_cast<size_t>(q_dim)), weights(static_cast<size_t>(in.n_heads * n));
    std::vector<float> largest(static_cast<size_t>(in.n_heads * n_prefix), 0.0f);
    AttentionArgs a;
    a.n_q = 1;
    a.n_heads = in.n_heads;
    a.n_kv_heads = in.n_kv_heads;
    a.head_dim = hd;
    a.k = in.k;
    a.v = in.v;
    a.n_cur = n;
    a.scale = 1.0f / std::sqrt(static_cast<float>(hd));
    a.out = out.data();
    a.key_attention = weights.data();
    a.key_attention_stride = n;
    // A query that is new token `token` sees new tokens 0 ..= token; a draft query sees all n.
    auto fold = [&](const float* q, int64_t token) {
        std::fill(weights.begin(), weights.end(), 0.0f);
        a.q = q;
        a.q_offset = token;
        be.attention(a);
        for (int64_t h = 0; h < in.n_heads; ++h)
            for (int64_t j = 0; j < n_prefix; ++j) {
                float& m = largest[static_cast<size_t>(h * n_prefix + j)];
                m = std::max(m, weights[static_cast<size_t>(h * n + j)]);
            }
    };
    for (int64_t i = 0; i < in.n_window; ++i) fold(in.window_queries + i * q_dim, n - in.n_window + i);
    for (int64_t i = 0; i < in.n_draft; ++i) fold(in.draft_queries + i * q_dim, n - 1);

    std::vector<std::vector<float>> totals(static_cast<size_t>(in.n_kv_heads), std::vector<float>(static_cast<size_t>(n_prefix), 0.0f));
    for (int64_t h = 0; h < in.n_heads; ++h)
        for (int64_t j = 0; j < n_prefix; ++j)
            totals[static_cast<size_t>(h / group)][static_cast<size_t>(j)] += largest[static_cast<size_t>(h * n_prefix + j)];
    const float inv = 1.0f / static_cast<float>(group);
    for (auto& total : totals)
        for (float& t : total) t *= inv;
    return totals;
}

// Adds each query head's sums (`stride` apart) on tokens [0, n_prefix) to its KV head's total.
void add_heads(const EvictionInput& in, const float* per_head, int64_t stride, int64_t n_prefix,
               std::vector<std::vector<float>>& totals) {
    const int64_t group = in.n_heads / in.n_kv_heads;
    for (int64_t h = 0; h < in.n_heads; ++h) {
        float* total = totals[static_cast<size_t>(h / group)].data();
        const float* sums = per_head + h * stride;
        for (int64_t j = 0; j < n_prefix; ++j) total[j] += sums[j];
    }
}

void scale_all(std::vector<std::vector<float>>& totals, float factor) {
    for (auto& total : totals)
        for (float& t : total) t *= factor;
}

}  // namespace

std::vector<std::vector<float>> observation_means(const EvictionInput& in, int64_t n_prefix) {
    if (!in.observation_attention) throw Error("eviction scoring: the forward pass gave no observation-window sums");
    std::vector<std::vector<float>> totals(static_cast<size_t>(in.n_kv_heads), std::vector<float>(static_cast<size_t>(n_prefix), 0.0f));
    if (in.n_window == 0) return totals;
    add_heads(in, in.observation_attention, in.n_tokens, n_prefix, totals);
    scale_all(totals, 1.0f / static_cast<float>(in.n_heads / in.n_kv_heads * in.n_window));
    return totals;
}

std::vector<std::vector<float>> window_attention(const EvictionInput& in, int64_t n_prefix, ScoreReduction reduction) {
    const int64_t n = in.n_tokens, hd = in.head_dim, group = in.n_heads / in.n_kv_heads;
    const int64_t kv_dim = in.n_kv_heads * hd;
    std::vector<std::vector<float>> totals(static_cast<size_t>(in.n_kv_heads), std::vector<float>(static_cast<size_t>(n_prefix), 0.0f));
    const int64_t n_queries = in.n_window + in.n_draft;
    if (n_queries == 0) return totals;
    if (!in.k || !in.v) throw Error("eviction scoring: the forward pass gave no keys and values");
    std::unique_ptr<Backend> own;
    Backend& be = in.backend ? *in.backend : *(own = make_cpu_backend(1));
    if (reduction == ScoreReduction::Max) return max_attention(in, n_prefix, be);
    std::vector<float> out(static_cast<size_t>(std::max(in.n_window, in.n_draft) * in.n_heads * hd));

    AttentionArgs a;
    a.n_heads = in.n_heads;
    a.n_kv_heads = in.n_kv_heads;
    a.head_dim = hd;
    a.scale = 1.0f / std::sqrt(static_cast<float>(hd));
    a.out = out.data();
    if (in.n_window > 0) {   // the window: the prompt's last queries, causal over the new tokens
        std::vector<float> per_head(static_cast<size_t>(in.n_heads * n), 0.0f);
        AttentionArgs w = a;
        w.q = in.window_queries;
        w.n_q = in.n_window;
        w.k = in.k;
        w.v = in.v;
        w.n_cur = n;
        w.q_offset = n - in.n_window;
        w.key_attention = per_head.data();
        w.key_attention_stride = n;
        be.attention(w);
        add_heads(in, per_head.data(), n, n_prefix, totals);
    }
    if (in.n_draft > 0) {   // a draft after the prompt: every new token is its past
        std::vector<KvSpan> spans(static_cast<size_t>(in.n_kv_heads));
        std::vector<std::vector<float>> sums(spans.size(), std::vector<float>(static_cast<size_t>(n), 0.0f));
        std::vector<float*> sum_of(spans.size());
        for (int64_t h = 0; h < in.n_kv_heads; ++h) {
            spans[static_cast<size_t>(h)] = KvSpan{in.k + h * hd, in.v + h * hd, n, kv_dim};
            sum_of[static_cast<size_t>(h)] = sums[static_cast<size_t>(h)].data();
        }
        AttentionArgs d = a;
        d.q = in.draft_queries;
        d.n_q = in.n_draft;
        d.past = spans;
        d.past_attention = sum_of.data();
        be.attention(d);
        for (int64_t h = 0; h < in.n_kv_heads; ++h)
            for (int64_t j = 0; j < n_prefix; ++j) totals[static_cast<size_t>(h)][static_cast<size_t>(j)] += sums[static_cast<size_t>(h)][static_cast<size_t>(j)];
    }
    scale_all(totals, 1.0f / static_cast<float>(group * n_queries));
    return totals;
}

std::vector<std::vector<int32_t>> same_for_all_heads(const EvictionInput& in, const std::vector<int32_t>& kept) {
    return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), kept);
}

std::vector<int32_t> index_range(int64_t first, int64_t count) {
    std::vector<int32_t> out(static_cast<size_t>(std::max<int64_t>(count, 0)));
    std::iota(out.begin(), out.end(), static_cast<int32_t>(first));
    return out;
}

}  // namespace engine
