#pragma once
// PyramidKV (Cai et al., 2024): SnapKV's scoring with budgets that shrink linearly from the
// lowest layer to the top one, the total over layers staying B x layers.

#include "engine/eviction/snapkv_policy.h"

#include <vector>

namespace engine {

// Per-layer budgets, lowest layer first. With e = B - window (the part beyond the window):
// the top layer gets e / beta, the lowest 2e - e / beta, the layers between lie on the line
// joining them (the paper's k^{L-1} = k_total / (beta L), k^0 = 2 k_total / L - k^{L-1},
// applied to the budget beyond the always-kept window, as its reference code does). Each is
// rounded down, then the leftover tokens go one each to the layers with the largest dropped
// fractions (lower layer first on ties), so the budgets sum to exactly B x n_layers; every
// layer then adds the window. B <= window or a single layer: B everywhere.
std::vector<int64_t> pyramid_budgets(int64_t budget, int64_t window, int64_t n_layers, double beta);

class PyramidKvPolicy final : public SnapKvPolicy {
public:
    explicit PyramidKvPolicy(const PolicyOptions& options);
    std::string name() const override { return "pyramidkv"; }
    static std::string describe();
    // B >= n keeps every token in every layer (no layer could use more); otherwise SnapKV
    // with the layer's pyramid budget.
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;

protected:
    int64_t layer_budget(const EvictionInput& input) const override;

private:
    double beta_;
    int64_t n_layers_;
};

}  // namespace engine
