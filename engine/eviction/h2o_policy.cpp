#include "engine/eviction/h2o_policy.h"

#include "engine/error.h"
#include "engine/eviction/eviction_scoring.h"

namespace engine {

std::vector<std::vector<int32_t>> H2oPolicy::keep(const LayerKeepInput& in) {
    const int64_t n = in.n_tokens;
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    if (options_.budget >= n) {
        for (auto& k : kept) k = recent_indices(n, n);
        return kept;
    }
    if (!in.key_attention) throw Error("h2o: the layer's accumulated attention is missing");
    const int64_t recent = options_.budget / 2;
    const int64_t heavy = options_.budget - recent;
    const int64_t older = n - recent;
    const int64_t group = in.n_heads / in.n_kv_heads;
    for (int64_t kv = 0; kv < in.n_kv_heads; ++kv) {
        std::vector<float> score(static_cast<size_t>(older), 0.0f);
        for (int64_t h = kv * group; h < (kv + 1) * group; ++h)
            for (int64_t j = 0; j < older; ++j) score[static_cast<size_t>(j)] += in.key_attention[h * n + j];
        auto& k = kept[static_cast<size_t>(kv)];
        k = top_indices(score, older, heavy);
        for (int32_t j : recent_indices(n, recent)) k.push_back(j);
    }
    return kept;
}

}  // namespace engine
