#pragma once
// The pieces the score-based policies share: window attention scores (SnapKV's), pooling
// along the sequence, and choosing the top tokens with a fixed tie rule.

#include "engine/session/keep_policy.h"

#include <cstdint>
#include <vector>

namespace engine {

// For each KV head, the attention the last `n_window` queries give to every token, from
// softmax(q·k / sqrt(head_dim)) with causal masking (window query i sits at token
// n_tokens - n_window + i), averaged over the window queries and the query heads of the
// group. Result [n_kv_heads][n_tokens].
std::vector<std::vector<float>> window_attention_scores(const LayerKeepInput& input);

// Max-pooling with an odd kernel and "same" padding over scores[0 .. n).
std::vector<float> max_pool(const std::vector<float>& scores, int64_t n, int64_t kernel);

// Indices of the `count` largest scores among [0, n), in ascending index order. Ties go
// to the lower index, so results are reproducible.
std::vector<int32_t> top_indices(const std::vector<float>& scores, int64_t n, int64_t count);

// The last `count` indices of [0, n).
std::vector<int32_t> recent_indices(int64_t n, int64_t count);

// SnapKV's selection for one head: every token when budget >= n; the last `budget` when
// budget <= window; else the window plus the top (budget - window) pooled scores before it.
std::vector<int32_t> snap_select(const std::vector<float>& scores, int64_t n, int64_t budget, int64_t window,
                                 int64_t kernel);

}  // namespace engine
