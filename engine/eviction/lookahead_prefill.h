#pragma once
// Two-pass prefill for the lookahead policies (LAQ, SpecKV), run at the Session level:
//   1. the prompt goes through the target model keeping every token (a full cache of all
//      layers), while each layer's observation-window queries are saved (and, for LAQ, the
//      SnapKV selection of a compressed copy);
//   2. a short greedy pseudo-answer is drafted: LAQ on the SnapKV-compressed copy with the
//      target model, SpecKV by the draft model with a full cache;
//   3. the draft goes through the target model on the full cache, only to capture its
//      queries per layer (the cache is rolled back);
//   4. each layer re-selects with LookaheadPolicy (window + draft queries) and the session
//      adopts the compressed cache and the prompt's logits.
// With B >= prompt length it keeps everything and equals a Full prefill exactly.

#include "engine/eviction/lookahead_policy.h"
#include "engine/session/session.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace engine {

// Prefills `tokens` into `session` (after whatever it holds) with LAQ or SpecKV. Returns
// false when cancelled, the session unchanged. `drafted`, when given, receives the
// pseudo-answer (empty when nothing had to be evicted).
bool lookahead_prefill(Session& session, std::span<const int32_t> tokens, const LookaheadPolicy& policy,
                       const ProgressCallback& on_progress = {}, const std::atomic<bool>* cancel = nullptr,
                       std::vector<int32_t>* drafted = nullptr);

bool laq_prefill(Session& session, std::span<const int32_t> tokens, const PolicyOptions& options,
                 const ProgressCallback& on_progress = {}, const std::atomic<bool>* cancel = nullptr);
// Uses options.draft_model, or opens options.draft_model_path.
bool speckv_prefill(Session& session, std::span<const int32_t> tokens, const PolicyOptions& options,
                    const ProgressCallback& on_progress = {}, const std::atomic<bool>* cancel = nullptr);

// The steps of the two-pass prefill, also used by the evaluation harness, which runs pass 1
// once for many policies and budgets (engine/eval/eviction_eval.cpp).
namespace lookahead_steps {

using LayerHeadSets = std::vector<std::vector<std::vector<int32_t>>>;   // [layer][kv_head] -> kept

// `full` with its first entries per head (those before `base`) and only the kept new ones.
CompressedCache keep_entries(const CompressedCache& full, const CompressedCache::Mark& base, const LayerHeadSets& kept);

// Pass 2, LAQ: `count` greedy tokens from the prompt's logits, each read on `compressed`.
std::vector<int32_t> draft_on_compressed(const Model& model, Backend& backend, CompressedCache compressed,
                                         std::vector<float> logits, int64_t count);

// Pass 2, SpecKV: the draft model (options.draft_model, or opened from its path) reads
// `history` with a full cache and answers greedily; nullopt when cancelled.
std::optional<std::vector<int32_t>> draft_with_model(const PolicyOptions& options, const Model& target,
                                                     const std::vector<int32_t>& history, int threads,
                                                     const std::atomic<bool>* cancel = nullptr);

// Pass 3: the target's queries for `draft` per layer, read on `full` and then rolled back.
std::vector<std::vector<float>> draft_queries(const Model& model, Backend& backend, CompressedCache& full,
                                              std::span<const int32_t> draft, int64_t chunk);

// Pass 4: each layer's choice among the n new tokens of `full` (after `base`), given the
// layer's window queries (window_queries[l] points at n_window rows) and the draft's queries.
LayerHeadSets reselect(LookaheadPolicy& policy, const Model& model, const CompressedCache& full,
                       const CompressedCache::Mark& base, int64_t n, const std::vector<const float*>& window_queries,
                       int64_t n_window, const std::vector<std::vector<float>>& draft_queries, int64_t n_draft);

}  // namespace lookahead_steps
}  // namespace engine
