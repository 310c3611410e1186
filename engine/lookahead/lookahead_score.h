#pragma once
// The LookaheadKV scoring head. Per KV head, the lookahead rows' attention to the prompt
// (softmax over prompt and visible lookahead keys, as in the layer's own attention),
// averaged over the lookahead rows and the query heads of the group and renormalised to a
// distribution over prompt tokens. Training fits it to where the real answer attended with
// KL(target || predicted); inference max-pools it and keeps the top tokens.

#include "engine/lookahead/lookahead_attention.h"

#include <cstdint>
#include <span>
#include <vector>

namespace engine::lookahead {

// dist [n_kv_heads][n_prompt]. k (the lookahead keys) may be nullptr: prompt keys only.
void prompt_scores(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt, const double* k,
                   double* dist);

// Returns weight * sum over KV heads of KL(target_h || dist_h) and adds its gradient to dq
// and (when k is given) dk. target [n_kv_heads][n_prompt] is non-negative, each head summing
// to 1 (the mean attention of the real answer); zeros in it contribute nothing.
// per_head_kl (may be nullptr) receives each head's unweighted KL.
double prompt_scores_kl_backward(const AttentionShape& s, const double* q, std::span<const KvSpan> prompt,
                                 const double* k, const double* target, double weight, double* dq, double* dk,
                                 double* per_head_kl = nullptr);

// Selection at inference: out[t] = max of scores over [t - kernel/2, t + kernel/2].
std::vector<double> max_pool_scores(std::span<const double> scores, int64_t kernel);

}  // namespace engine::lookahead
