#include "engine/eviction/streaming_policy.h"

#include "engine/eviction/eviction_scoring.h"

#include <algorithm>

namespace engine {

std::vector<std::vector<int32_t>> StreamingPolicy::keep(const LayerKeepInput& in) {
    const int64_t n = in.n_tokens;
    std::vector<int32_t> kept;
    if (options_.budget >= n) {
        kept = recent_indices(n, n);
    } else {
        const int64_t sinks = std::min(options_.sinks, options_.budget);
        for (int64_t j = 0; j < sinks; ++j) kept.push_back(static_cast<int32_t>(j));
        for (int32_t j : recent_indices(n, options_.budget - sinks)) kept.push_back(j);
    }
    return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), kept);
}

}  // namespace engine
