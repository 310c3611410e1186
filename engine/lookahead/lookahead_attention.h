#pragma once
// Attention of the lookahead rows, forward and backward: each lookahead query sees every
// prompt key (fixed, after RoPE, straight from the KV cache) and the lookahead keys up to
// its own row (causal), with grouped-query heads. Gradients reach only the lookahead rows'
// q, k and v; the prompt's keys and values are constants.

#include "engine/backend.h"

#include <cstdint>
#include <span>

namespace engine::lookahead {

struct AttentionShape {
    int64_t m = 0;            // lookahead rows
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    double scale = 1.0;       // 1 / sqrt(head_dim) in the models we run
    int64_t q_dim() const { return n_heads * head_dim; }
    int64_t kv_dim() const { return n_kv_heads * head_dim; }
};

// The prompt length the per-KV-head spans share. Throws engine::Error when the head count
// is wrong or the heads hold different numbers of tokens.
int64_t prompt_length(std::span<const KvSpan> prompt, int64_t n_kv_heads);

// Row width of the probabilities: prompt keys, then the m lookahead keys (zero past the row).
inline int64_t probs_width(const AttentionShape& s, int64_t n_prompt) { return n_prompt + s.m; }

// probs [n_heads][m][n_prompt + m]: softmax of scale * q.k. k may be nullptr: then rows see
// only the prompt (and the lookahead columns stay zero).
void attention_probs(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                     double* probs);

// q [m][q_dim] (after RoPE), k and v [m][kv_dim] (k after RoPE). Writes probs (kept for the
// backward) and out [m][q_dim].
void attention_forward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                       const double* v, double* probs, double* out);

// Adds the gradients of q, k and v given dout.
void attention_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                        const double* v, const double* probs, const double* dout, double* dq, double* dk,
                        double* dv);

// Shared by the attention and the scoring head: turns a gradient on the probabilities into
// gradients on q and (if k and dk are given) the lookahead keys.
void attention_probs_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt,
                              const double* k, const double* probs, const double* dprobs, double* dq, double* dk);

}  // namespace engine::lookahead
