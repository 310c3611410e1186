#pragma once
// The selection steps the policies share: attention scores of the prompt tokens seen by a
// set of queries, max-pooling, and top-k with a fixed tie rule (lower index wins). Policies
// score in float on the backend's attention kernel (SIMD chosen at run time, threaded);
// prefix_attention is the double-precision reference it is tested against.

#include "engine/eviction/eviction_policy.h"
#include "engine/eviction/policy_options.h"

#include <cstdint>
#include <vector>

namespace engine {

// Indices of the k largest scores, returned ascending. Ties: the lower index wins.
std::vector<int32_t> top_indices(const std::vector<double>& scores, int64_t k);
std::vector<int32_t> top_indices(const std::vector<float>& scores, int64_t k);

// out[i] = max of scores[i - kernel/2 ..= i + kernel/2] that exist ("same" padding).
std::vector<double> max_pool(const std::vector<double>& scores, int64_t kernel);
std::vector<float> max_pool(const std::vector<float>& scores, int64_t kernel);

// prefix_attention for every KV head at once, in float: out[kv_head][j]. Runs the window
// queries (causal) and the draft queries through Backend::attention with its per-key sums,
// on input.backend (a one-thread CPU backend when the input has none). Needs input.v. Max
// runs one query at a time, as the kernel's per-key output is a sum over its queries.
std::vector<std::vector<float>> window_attention(const EvictionInput& input, int64_t n_prefix,
                                                 ScoreReduction reduction = ScoreReduction::Mean);

// window_attention's Mean without the draft, from the sums the forward pass took
// (input.observation_attention): the same scores, with no attention of their own to run.
std::vector<std::vector<float>> observation_means(const EvictionInput& input, int64_t n_prefix);

// For KV head `kv_head`: per new token j < n_prefix, the softmax attention weight it gets from
// the window queries (query i is new token n - n_window + i and sees new tokens 0 ..= its own;
// scaled dot product, softmax over what it sees) and the lookahead queries (each sees all new
// tokens), reduced over those queries (Mean: averaged; Max: the largest), then averaged over
// the query heads sharing the KV head. Computed in double: the reference for window_attention.
std::vector<double> prefix_attention(const EvictionInput& input, int64_t kv_head, int64_t n_prefix,
                                     ScoreReduction reduction = ScoreReduction::Mean);

// The same set for every KV head.
std::vector<std::vector<int32_t>> same_for_all_heads(const EvictionInput& input, const std::vector<int32_t>& kept);

// [first, first + count) as indices.
std::vector<int32_t> index_range(int64_t first, int64_t count);

}  // namespace engine
