#pragma once
// The steps of the draft policies' prefill (draft_policy.h), also used by the evaluation
// harness, which runs pass 1 once for many policies and budgets.

#include "engine/backend.h"
#include "engine/eviction/draft_policy.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace engine::draft_steps {

using LayerHeadSets = CompressedCache::KeptEntries;   // [layer][kv_head] -> kept

// Pass 1's policy: keeps everything, remembering each layer's window queries and (when
// asked, for LAQ) what SnapKV with the same options would keep.
class FullPassRecorder final : public EvictionPolicy {
public:
    FullPassRecorder(const PolicyOptions& options, bool want_snap) : snap_(options), want_snap_(want_snap) {}
    std::string name() const override { return "draft-full-pass"; }
    int64_t query_window() const override { return snap_.query_window(); }
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;

    std::vector<std::vector<float>> window_queries;   // [layer][n_window][q_dim]
    int64_t n_window = 0;
    LayerHeadSets snap_kept;

private:
    SnapKvPolicy snap_;
    bool want_snap_;
};

// Pass 2, LAQ: `count` greedy tokens from the prompt's logits, each read on `compressed`.
std::vector<int32_t> draft_on_compressed(const std::shared_ptr<const Model>& model, const std::shared_ptr<Backend>& backend,
                                         CompressedCache compressed, std::vector<float> logits, int64_t count,
                                         const std::atomic<bool>* cancel = nullptr);

// Pass 2, SpecKV: the draft model (options.draft_model, or opened from its path) reads
// `history` with a full cache and answers greedily; nullopt when cancelled.
std::optional<std::vector<int32_t>> draft_with_model(const PolicyOptions& options, const Model& target,
                                                     const std::vector<int32_t>& history,
                                                     const std::shared_ptr<Backend>& backend,
                                                     const std::atomic<bool>* cancel = nullptr);

// Pass 3: the target's queries for `draft` per layer, read on `full` and then rolled back.
std::vector<std::vector<float>> queries_of_draft(const Model& model, Backend& backend, CompressedCache& full,
                                                 std::span<const int32_t> draft, int64_t chunk);

// Pass 4: each layer's choice among the n new tokens of `full` (after `base`), given the
// layer's window queries (window_queries[l] points at n_window rows) and the draft's queries,
// scored on `backend`.
LayerHeadSets reselect(DraftPolicy& policy, const Model& model, Backend& backend, const CompressedCache& full,
                       const CompressedCache::Mark& base, int64_t n, const std::vector<const float*>& window_queries,
                       int64_t n_window, const std::vector<std::vector<float>>& draft_queries, int64_t n_draft);

// Pass 4 of windowed reading: as reselect, but each layer's cached entries (before `base`)
// compete with the new tokens (joint_eviction.h), the last n_probe of which (the question
// after the window) choose but are not kept; `full` is cut down in place.
void reselect_jointly(DraftPolicy& policy, const Model& model, Backend& backend, CompressedCache& full, const CompressedCache::Mark& base,
                      int64_t n, const std::vector<const float*>& window_queries, int64_t n_window,
                      const std::vector<std::vector<float>>& draft_queries, int64_t n_draft, int64_t n_probe);

}  // namespace engine::draft_steps
