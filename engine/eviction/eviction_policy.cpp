#include "engine/eviction/eviction_policy.h"

#include "engine/error.h"
#include "engine/session/layer_major_forward.h"

#include <numeric>

namespace engine {

bool EvictionPolicy::prefill(PrefillContext& context, std::span<const int32_t> tokens, CompressedCache& cache,
                             std::vector<float>& logits) {
    return context.forward(cache, tokens, this, logits);
}

std::vector<std::vector<int32_t>> FullPolicy::keep(const EvictionInput& in) {
    std::vector<int32_t> all(static_cast<size_t>(in.n_candidates()));
    std::iota(all.begin(), all.end(), 0);
    return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), all);
}

void check_kept_indices(const EvictionPolicy& policy, const EvictionInput& in,
                        const std::vector<std::vector<int32_t>>& kept) {
    const std::string where = "eviction policy '" + policy.name() + "' at layer " + std::to_string(in.layer);
    if (static_cast<int64_t>(kept.size()) != in.n_kv_heads)
        throw Error(where + " returned " + std::to_string(kept.size()) + " head lists, expected " +
                    std::to_string(in.n_kv_heads));
    for (const auto& head : kept)
        for (size_t i = 0; i < head.size(); ++i)
            if (head[i] < 0 || head[i] >= in.n_candidates() || (i > 0 && head[i] <= head[i - 1]))
                throw Error(where + " returned an index that is out of range (or the question's), repeated or out of order");
}

}  // namespace engine
