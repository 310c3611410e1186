#pragma once
// PyramidKV (Cai et al., 2024): SnapKV's scores, with budgets that fall linearly from the
// lowest layer to the highest (attention funnels as depth grows). Over all layers the total
// is the same as budget * layers: the top layer keeps budget / beta, the bottom layer
// 2 * budget - budget / beta.

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"

#include <vector>

namespace engine {

// Per-layer budgets: linear from bottom to top, integers summing to budget * n_layers.
std::vector<int64_t> pyramid_budgets(int64_t budget, int64_t n_layers, double beta);

class PyramidKvPolicy final : public KeepPolicy {
public:
    explicit PyramidKvPolicy(const PolicyOptions& options);
    std::string name() const override { return "pyramidkv"; }
    int64_t query_window() const override { return options_.window; }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;
    const std::vector<int64_t>& layer_budgets() const { return budgets_; }

private:
    PolicyOptions options_;
    std::vector<int64_t> budgets_;
};

}  // namespace engine
