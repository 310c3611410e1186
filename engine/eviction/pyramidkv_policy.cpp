#include "engine/eviction/pyramidkv_policy.h"

#include "engine/error.h"
#include "engine/eviction/token_selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace engine {

std::vector<int64_t> pyramid_budgets(int64_t budget, int64_t window, int64_t n_layers, double beta) {
    if (n_layers < 1) throw Error("pyramidkv: the model has no layers");
    if (!(beta >= 1.0)) throw Error("pyramidkv: beta must be at least 1, got " + std::to_string(beta));
    std::vector<int64_t> out(static_cast<size_t>(n_layers), budget);
    if (budget <= window || n_layers == 1) return out;

    const double extra = static_cast<double>(budget - window);
    const double top = extra / beta, bottom = 2.0 * extra - top;
    std::vector<double> fraction(static_cast<size_t>(n_layers));
    int64_t assigned = 0;
    for (int64_t l = 0; l < n_layers; ++l) {
        const double real = bottom - (bottom - top) * static_cast<double>(l) / static_cast<double>(n_layers - 1);
        const double whole = std::floor(real);
        out[static_cast<size_t>(l)] = static_cast<int64_t>(whole);
        fraction[static_cast<size_t>(l)] = real - whole;
        assigned += static_cast<int64_t>(whole);
    }
    const int64_t leftover = (budget - window) * n_layers - assigned;
    std::vector<int32_t> order(static_cast<size_t>(n_layers));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return fraction[static_cast<size_t>(a)] > fraction[static_cast<size_t>(b)];
    });
    for (int64_t i = 0; i < leftover; ++i) ++out[static_cast<size_t>(order[static_cast<size_t>(i % n_layers)])];
    for (auto& b : out) b += window;
    return out;
}

PyramidKvPolicy::PyramidKvPolicy(const PolicyOptions& o) : SnapKvPolicy(o), beta_(o.pyramid_beta), n_layers_(o.n_layers) {
    if (!(beta_ >= 1.0)) throw Error("pyramidkv: beta must be at least 1, got " + std::to_string(beta_));
    if (n_layers_ < 0) throw Error("pyramidkv: the layer count cannot be negative");
}

std::string PyramidKvPolicy::describe() {
    return "pyramidkv: SnapKV scoring with pyramid budgets (Cai et al. 2024). With e = B - window, the top layer "
           "keeps e/beta (--pyramid-beta, default 20) beyond the window, the lowest 2e - e/beta, the layers between "
           "linearly in between; the total over layers is B x layers. Window and pool kernel as snapkv.";
}

int64_t PyramidKvPolicy::layer_budget(const EvictionInput& in) const {
    if (in.n_layers <= in.layer) throw Error("pyramidkv: the forward pass did not say how many layers the model has");
    if (n_layers_ > 0 && n_layers_ != in.n_layers)
        throw Error("pyramidkv: set up for " + std::to_string(n_layers_) + " layers but the model has " + std::to_string(in.n_layers));
    return pyramid_budgets(budget_, window_, in.n_layers, beta_)[static_cast<size_t>(in.layer)];
}

std::vector<std::vector<int32_t>> PyramidKvPolicy::keep(const EvictionInput& in) {
    if (budget_ >= in.n_candidates()) return same_for_all_heads(in, index_range(0, in.n_candidates()));
    return SnapKvPolicy::keep(in);
}

}  // namespace engine
