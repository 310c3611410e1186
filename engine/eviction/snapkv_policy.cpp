#include "engine/eviction/snapkv_policy.h"

#include "engine/eviction/eviction_scoring.h"

namespace engine {

std::vector<std::vector<int32_t>> SnapKvPolicy::keep(const LayerKeepInput& in) {
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    if (options_.budget >= in.n_tokens || in.n_window == 0) {
        for (auto& k : kept) k = recent_indices(in.n_tokens, options_.budget);
        return kept;
    }
    const auto scores = window_attention_scores(in);
    for (int64_t h = 0; h < in.n_kv_heads; ++h)
        kept[static_cast<size_t>(h)] =
            snap_select(scores[static_cast<size_t>(h)], in.n_tokens, options_.budget, in.n_window, options_.pool_kernel);
    return kept;
}

}  // namespace engine
