#include "engine/lookahead/lookahead_attention.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_ops.h"

#include <string>
#include <vector>

namespace engine::lookahead {

int64_t prompt_length(std::span<const KvSpan> prompt, int64_t n_kv_heads) {
    if (static_cast<int64_t>(prompt.size()) != n_kv_heads)
        throw Error("lookahead attention: prompt K/V for " + std::to_string(prompt.size()) + " KV heads, the model has " +
                    std::to_string(n_kv_heads));
    const int64_t n = prompt.empty() ? 0 : prompt[0].n;
    for (const KvSpan& h : prompt)
        if (h.n != n)
            throw Error("lookahead attention: KV heads hold different prompt lengths (" + std::to_string(n) + " and " +
                        std::to_string(h.n) + "); lookahead rows need the whole prompt of a layer");
    return n;
}

void attention_probs(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                     double* probs) {
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    for (int64_t h = 0; h < s.n_heads; ++h) {
        const int64_t g = h / group;
        const KvSpan& ph = prompt[static_cast<size_t>(g)];
        // Every row's logits over the prompt at once; then its own keys, scaling and softmax.
        rows_dot_rows(q + h * s.head_dim, s.q_dim(), s.m, ph.k, ph.stride, n_p, s.head_dim, probs + h * s.m * width, width);
        for (int64_t i = 0; i < s.m; ++i) {
            const double* qi = q + i * s.q_dim() + h * s.head_dim;
            double* row = probs + (h * s.m + i) * width;
            for (int64_t j = 0; j < n_p; ++j) row[j] *= s.scale;
            const int64_t seen = k ? i + 1 : 0;
            for (int64_t j = 0; j < seen; ++j) row[n_p + j] = s.scale * dot(k + j * s.kv_dim() + g * s.head_dim, qi, s.head_dim);
            softmax_forward(row, n_p + seen, row);
            for (int64_t j = n_p + seen; j < width; ++j) row[j] = 0.0;
        }
    }
}

void attention_forward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                       const double* v, double* probs, double* out) {
    attention_probs(s, q, prompt, k, probs);
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    for (int64_t h = 0; h < s.n_heads; ++h) {
        const int64_t g = h / group;
        const KvSpan& ph = prompt[static_cast<size_t>(g)];
        for (int64_t i = 0; i < s.m; ++i)
            for (int64_t d = 0; d < s.head_dim; ++d) out[i * s.q_dim() + h * s.head_dim + d] = 0.0;
        add_rows_times_matrix(probs + h * s.m * width, width, s.m, ph.v, ph.stride, n_p, s.head_dim, out + h * s.head_dim,
                              s.q_dim());
        for (int64_t i = 0; i < s.m; ++i) {
            const double* row = probs + (h * s.m + i) * width;
            double* o = out + i * s.q_dim() + h * s.head_dim;
            for (int64_t j = 0; j <= i; ++j) {
                const double* vj = v + j * s.kv_dim() + g * s.head_dim;
                for (int64_t d = 0; d < s.head_dim; ++d) o[d] += row[n_p + j] * vj[d];
            }
        }
    }
}

void attention_probs_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt,
                              const double* k, const double* probs, const double* dprobs, double* dq, double* dk) {
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    // The scaled logits' gradients of one head, every row: dq then takes the prompt's keys at once.
    std::vector<double> dlogits(static_cast<size_t>(s.m * width));
    for (int64_t h = 0; h < s.n_heads; ++h) {
        const int64_t g = h / group;
        const KvSpan& ph = prompt[static_cast<size_t>(g)];
        std::fill(dlogits.begin(), dlogits.end(), 0.0);
        for (int64_t i = 0; i < s.m; ++i) {
            const int64_t seen = k ? i + 1 : 0;
            double* di = dlogits.data() + i * width;
            softmax_backward(probs + (h * s.m + i) * width, dprobs + (h * s.m + i) * width, n_p + seen, di);
            for (int64_t j = 0; j < n_p + seen; ++j) di[j] *= s.scale;
        }
        add_rows_times_matrix(dlogits.data(), width, s.m, ph.k, ph.stride, n_p, s.head_dim, dq + h * s.head_dim, s.q_dim());
        for (int64_t i = 0; i < s.m; ++i) {
            const int64_t seen = k ? i + 1 : 0;
            const double* di = dlogits.data() + i * width;
            const double* qi = q + i * s.q_dim() + h * s.head_dim;
            double* dqi = dq + i * s.q_dim() + h * s.head_dim;
            for (int64_t j = 0; j < seen; ++j) {
                const double gl = di[n_p + j];
                const double* kj = k + j * s.kv_dim() + g * s.head_dim;
                for (int64_t d = 0; d < s.head_dim; ++d) dqi[d] += gl * kj[d];
                if (dk) {
                    double* dkj = dk + j * s.kv_dim() + g * s.head_dim;
                    for (int64_t d = 0; d < s.head_dim; ++d) dkj[d] += gl * qi[d];
                }
            }
        }
    }
}

void attention_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                        const double* v, const double* probs, const double* dout, double* dq, double* dk,
                        double* dv) {
    const int64_t n_p = prompt_length(prompt, s.n_kv_heads);
    const int64_t width = probs_width(s, n_p);
    const int64_t group = s.n_heads / s.n_kv_heads;
    // dprobs[j] = dout . v_j; dv_j += p_j * dout (lookahead values only; the prompt's are fixed).
    std::vector<double> dprobs(static_cast<size_t>(s.n_heads * s.m * width), 0.0);
    for (int64_t h = 0; h < s.n_heads; ++h) {
        const int64_t g = h / group;
        const KvSpan& ph = prompt[static_cast<size_t>(g)];
        rows_dot_rows(dout + h * s.head_dim, s.q_dim(), s.m, ph.v, ph.stride, n_p, s.head_dim, dprobs.data() + h * s.m * width,
                      width);
        for (int64_t i = 0; i < s.m; ++i) {
            const double* row = probs + (h * s.m + i) * width;
            double* drow = dprobs.data() + (h * s.m + i) * width;
            const double* doi = dout + i * s.q_dim() + h * s.head_dim;
            for (int64_t j = 0; j <= i; ++j) {
                drow[n_p + j] = dot(v + j * s.kv_dim() + g * s.head_dim, doi, s.head_dim);
                double* dvj = dv + j * s.kv_dim() + g * s.head_dim;
                for (int64_t d = 0; d < s.head_dim; ++d) dvj[d] += row[n_p + j] * doi[d];
            }
        }
    }
    attention_probs_backward(s, q, prompt, k, probs, dprobs.data(), dq, dk);
}

}  // namespace engine::lookahead
