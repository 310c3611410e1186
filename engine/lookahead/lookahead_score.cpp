#include "engine/lookahead/lookahead_score.h"

#include "engine/error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace engine::lookahead {
namespace {

// Unnormalised per-KV-head sums: raw[g][t] = mean over rows and group heads of probs[.][.][t].
void group_means(const AttentionShape& s, const std::vector<double>& probs, int64_t n_p, std::vector<double>& raw) {
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    const double inv = 1.0 / static_cast<double>(group * s.m);
    raw.assign(static_cast<size_t>(s.n_kv_heads * n_p), 0.0);
    for (int64_t h = 0; h < s.n_heads; ++h) {
        double* r = raw.data() + (h / group) * n_p;
        for (int64_t i = 0; i < s.m; ++i) {
            const double* row = probs.data() + (h * s.m + i) * width;
            for (int64_t t = 0; t < n_p; ++t) r[t] += row[t] * inv;
        }
    }
}

}  // namespace

void prompt_scores(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                   double* dist) {
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    std::vector<double> probs(static_cast<size_t>(s.n_heads * s.m * probs_width(s, n_p)));
    attention_probs(s, q, prompt, k, probs.data());
    std::vector<double> raw;
    group_means(s, probs, n_p, raw);
    for (int64_t g = 0; g < s.n_kv_heads; ++g) {
        double sum = 0.0;
        for (int64_t t = 0; t < n_p; ++t) sum += raw[static_cast<size_t>(g * n_p + t)];
        for (int64_t t = 0; t < n_p; ++t) dist[g * n_p + t] = raw[static_cast<size_t>(g * n_p + t)] / sum;
    }
}

// With s_t the group mean and S = sum_t s_t, KL = sum T log T - sum T log s_t + (sum T) log S,
// so dKL/ds_t = -T_t / s_t + (sum T) / S; each probability feeding s_t gets that / (group * m).
double prompt_scores_kl_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt,
                                 const double* k, const double* target, double weight, double* dq, double* dk,
                                 double* per_head_kl) {
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    if (n_p == 0) throw Error("lookahead scoring needs at least one prompt token");
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    std::vector<double> probs(static_cast<size_t>(s.n_heads * s.m * width));
    attention_probs(s, q, prompt, k, probs.data());
    std::vector<double> raw;
    group_means(s, probs, n_p, raw);

    double loss = 0.0;
    std::vector<double> draw(raw.size());
    for (int64_t g = 0; g < s.n_kv_heads; ++g) {
        const double* T = target + g * n_p;
        const double* r = raw.data() + g * n_p;
        double sum_r = 0.0, sum_t = 0.0;
        for (int64_t t = 0; t < n_p; ++t) {
            if (!(T[t] >= 0.0) || !std::isfinite(T[t]))
                throw Error("lookahead scoring: target of KV head " + std::to_string(g) + " at prompt token " +
                            std::to_string(t) + " is negative or not a number");
            sum_r += r[t];
            sum_t += T[t];
        }
        double kl = 0.0;
        for (int64_t t = 0; t < n_p; ++t) {
            if (T[t] > 0.0) kl += T[t] * (std::log(T[t]) - std::log(r[t] / sum_r));
            draw[static_cast<size_t>(g * n_p + t)] = weight * (-(T[t] > 0.0 ? T[t] / r[t] : 0.0) + sum_t / sum_r);
        }
        if (per_head_kl) per_head_kl[g] = kl;
        loss += weight * kl;
    }

    std::vector<double> dprobs(probs.size(), 0.0);
    const double inv = 1.0 / static_cast<double>(group * s.m);
    for (int64_t h = 0; h < s.n_heads; ++h) {
        const double* d = draw.data() + (h / group) * n_p;
        for (int64_t i = 0; i < s.m; ++i) {
            double* row = dprobs.data() + (h * s.m + i) * width;
            for (int64_t t = 0; t < n_p; ++t) row[t] = d[t] * inv;
        }
    }
    attention_probs_backward(s, q, prompt, k, probs.data(), dprobs.data(), dq, dk);
    return loss;
}

std::vector<double> max_pool_scores(std::span<const double> scores, int64_t kernel) {
    if (kernel <= 0 || kernel % 2 == 0)
        throw Error("max-pool kernel " + std::to_string(kernel) + " is not a positive odd number");
    const int64_t n = static_cast<int64_t>(scores.size()), half = kernel / 2;
    std::vector<double> out(scores.size());
    for (int64_t t = 0; t < n; ++t) {
        double best = scores[static_cast<size_t>(t)];
        for (int64_t j = std::max<int64_t>(0, t - half); j <= std::min(n - 1, t + half); ++j)
            best = std::max(best, scores[static_cast<size_t>(j)]);
        out[static_cast<size_t>(t)] = best;
    }
    return out;
}

}  // namespace engine::lookahead
