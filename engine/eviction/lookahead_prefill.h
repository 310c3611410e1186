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

}  // namespace engine
