#pragma once
// SnapKV (Li et al., 2024): the last `window` prompt tokens vote, through their attention,
// for the earlier tokens each KV head keeps; scores are max-pooled so neighbours of an
// important token come along.

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"

namespace engine {

class SnapKvPolicy final : public KeepPolicy {
public:
    explicit SnapKvPolicy(const PolicyOptions& options) : options_(options) {}
    std::string name() const override { return "snapkv"; }
    int64_t query_window() const override { return options_.window; }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;

private:
    PolicyOptions options_;
};

}  // namespace engine
