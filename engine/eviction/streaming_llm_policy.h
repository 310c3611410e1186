#pragma once
// StreamingLLM (Xiao et al., 2023): the first few tokens ("attention sinks") plus the most
// recent ones.

#include "engine/eviction/policy_options.h"
#include "engine/eviction/eviction_policy.h"

namespace engine {

class StreamingLlmPolicy final : public EvictionPolicy {
public:
    explicit StreamingLlmPolicy(const PolicyOptions& options);
    std::string name() const override { return "streaming"; }
    int64_t budget() const override { return budget_; }
    static std::string describe();
    // The first min(sinks, B) tokens and the last B - that; every token when B >= n.
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;

private:
    int64_t budget_;
    int64_t sinks_;
};

}  // namespace engine
