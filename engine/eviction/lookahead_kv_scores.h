#pragma once
// LookaheadKV's score of each prompt token for one KV head: the softmax attention the
// lookahead rows give it, averaged over the rows and the query heads of the KV group. Each
// row's softmax runs over every prompt key and the lookahead keys up to its own row, as in
// the rows' own attention and in training (engine/lookahead/lookahead_score.h), in double:
// the reference for the float sums the rows' attention call produces at inference
// (LookaheadRows::run_layer's prompt_attention), which the policy scores from.

#include "engine/backend.h"

#include <cstdint>
#include <vector>

namespace engine {

struct LookaheadQueries {
    const float* q = nullptr;   // [rows][n_heads * head_dim], after RoPE
    const float* k = nullptr;   // [rows][n_kv_heads * head_dim], after RoPE
    int64_t rows = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
};

// Scores of the prompt's keys (prompt.n of them) as seen by KV head kv_head's query group.
std::vector<double> lookahead_prompt_attention(const LookaheadQueries& rows, const KvSpan& prompt, int64_t kv_head);

}  // namespace engine
