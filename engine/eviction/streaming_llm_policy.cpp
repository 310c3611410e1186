#include "engine/eviction/streaming_llm_policy.h"

#include "engine/error.h"
#include "engine/eviction/token_selection.h"

#include <algorithm>

namespace engine {

StreamingLlmPolicy::StreamingLlmPolicy(const PolicyOptions& o) : budget_(o.budget), sinks_(o.sinks) {
    if (budget_ < 1) throw Error("streaming: the budget must be at least 1 token, got " + std::to_string(budget_));
    if (sinks_ < 0) throw Error("streaming: the number of sink tokens cannot be negative");
}

std::string StreamingLlmPolicy::describe() {
    return "streaming: StreamingLLM, attention sinks plus a recent window (Xiao et al. 2023). Keeps the first "
           "--sinks tokens (default 4) and the most recent B - sinks prompt tokens, the same for every "
           "layer and head.";
}

std::vector<std::vector<int32_t>> StreamingLlmPolicy::keep(const EvictionInput& in) {
    const int64_t n = in.n_candidates();
    if (budget_ >= n) return same_for_all_heads(in, index_range(0, n));
    const int64_t sinks = std::min(sinks_, budget_);
    std::vector<int32_t> kept = index_range(0, sinks);
    const auto recent = index_range(n - (budget_ - sinks), budget_ - sinks);
    kept.insert(kept.end(), recent.begin(), recent.end());
    return same_for_all_heads(in, kept);
}

}  // namespace engine
