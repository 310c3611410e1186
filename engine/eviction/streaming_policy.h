#pragma once
// StreamingLLM (Xiao et al., 2023): the first tokens (attention sinks) and the most recent ones.

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"

namespace engine {

class StreamingPolicy final : public KeepPolicy {
public:
    explicit StreamingPolicy(const PolicyOptions& options) : options_(options) {}
    std::string name() const override { return "streaming"; }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;

private:
    PolicyOptions options_;
};

}  // namespace engine
