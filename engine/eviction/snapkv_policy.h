#pragma once
// SnapKV (Li et al., 2024): the last `window` prompt tokens act as queries; each earlier
// token is scored by the attention it gets from them, max-pooled along the sequence, and
// each KV head keeps its top B - window plus the window itself.

#include "engine/eviction/policy_options.h"
#include "engine/eviction/eviction_policy.h"

namespace engine {

class SnapKvPolicy : public EvictionPolicy {
public:
    explicit SnapKvPolicy(const PolicyOptions& options);
    std::string name() const override { return "snapkv"; }
    int64_t budget() const override { return budget_; }
    static std::string describe();
    int64_t query_window() const override { return window_; }
    bool wants_observation_attention() const override { return true; }
    // B >= n: every token. B <= window: the last B. Otherwise per KV head: the window plus the
    // top B - window earlier tokens by max-pooled mean attention (see prefix_attention; the
    // lookahead queries of EvictionInput count as further queries when given).
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;

protected:
    // The budget of this input's layer (PyramidKV varies it).
    virtual int64_t layer_budget(const EvictionInput& input) const;
    // Per KV head: the input's window (its last n_window tokens) plus the top budget - n_window
    // earlier tokens by max-pooled window and draft attention, reduced over those queries as
    // asked. Needs budget > n_window and at least one query.
    std::vector<std::vector<int32_t>> keep_top(const EvictionInput& input, int64_t budget, ScoreReduction reduction) const;

    int64_t budget_;
    int64_t window_;
    int64_t kernel_;
};

}  // namespace engine
