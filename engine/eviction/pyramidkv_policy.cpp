#include "engine/eviction/pyramidkv_policy.h"

#include "engine/error.h"
#include "engine/eviction/eviction_scoring.h"

#include <cmath>

namespace engine {

std::vector<int64_t> pyramid_budgets(int64_t budget, int64_t n_layers, double beta) {
    if (n_layers <= 0) throw Error("pyramidkv: the model's layer count is needed");
    if (beta < 1.0) throw Error("pyramidkv: beta must be at least 1");
    const double total = static_cast<double>(budget) * static_cast<double>(n_layers);
    const double top = static_cast<double>(budget) / beta;
    const double bottom = 2.0 * static_cast<double>(budget) - top;
    std::vector<int64_t> budgets(static_cast<size_t>(n_layers));
    int64_t sum = 0;
    for (int64_t l = 0; l < n_layers; ++l) {
        const double exact = n_layers == 1 ? static_cast<double>(budget)
                                           : bottom - (bottom - top) * static_cast<double>(l) / static_cast<double>(n_layers - 1);
        budgets[static_cast<size_t>(l)] = static_cast<int64_t>(std::floor(exact));
        sum += budgets[static_cast<size_t>(l)];
    }
    // Hand the rounding remainder to the lowest layers, one token each.
    for (int64_t l = 0; sum < static_cast<int64_t>(std::llround(total)); l = (l + 1) % n_layers, ++sum)
        ++budgets[static_cast<size_t>(l)];
    return budgets;
}

PyramidKvPolicy::PyramidKvPolicy(const PolicyOptions& options)
    : options_(options), budgets_(pyramid_budgets(options.budget, options.n_layers, options.pyramid_beta)) {}

std::vector<std::vector<int32_t>> PyramidKvPolicy::keep(const LayerKeepInput& in) {
    if (in.layer < 0 || in.layer >= static_cast<int64_t>(budgets_.size()))
        throw Error("pyramidkv: layer " + std::to_string(in.layer) + " is outside the model's " +
                    std::to_string(budgets_.size()) + " layers");
    const int64_t budget = budgets_[static_cast<size_t>(in.layer)];
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    if (budget >= in.n_tokens || in.n_window == 0) {
        for (auto& k : kept) k = recent_indices(in.n_tokens, budget);
        return kept;
    }
    const auto scores = window_attention_scores(in);
    for (int64_t h = 0; h < in.n_kv_heads; ++h)
        kept[static_cast<size_t>(h)] =
            snap_select(scores[static_cast<size_t>(h)], in.n_tokens, budget, in.n_window, options_.pool_kernel);
    return kept;
}

}  // namespace engine
