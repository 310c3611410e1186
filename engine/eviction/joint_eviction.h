#pragma once
// Windowed reading: after each window a layer's cached entries and the window's new tokens
// compete for the budget together, so the cache returns to the policy's budget instead of
// growing by B per window. The policy sees one sequence per KV head: its cached entries,
// oldest first, then the new tokens; it needs no change to work this way.

#include "engine/eviction/eviction_policy.h"
#include "engine/session/compressed_cache.h"

#include <vector>

namespace engine {

// `cache` holds, per head of `layer`, the entries before `base` (cached earlier) and then
// the n = in.n_tokens new ones. `in` describes the new tokens (its window and draft queries,
// their accumulated attention); its k, v, positions and past are ignored. `past_attention`
// (optional, per KV head, one value per cached entry) is the attention the cached entries
// received from the new queries, for policies that want key attention (H2O);
// `observed_past` (optional, [layer * n_kv_heads + kv_head]) the same from the observation
// window's queries alone, for policies that score from them (SnapKV). Rewrites the layer to
// what the policy keeps, order kept.
void evict_jointly(EvictionPolicy& policy, const EvictionInput& in, CompressedCache& cache, int64_t layer,
                   const CompressedCache::Mark& base, const std::vector<std::vector<float>>* past_attention,
                   const std::vector<std::vector<float>>* observed_past = nullptr);

}  // namespace engine
