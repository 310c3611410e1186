#pragma once
// H2O (Zhang et al., 2023): "heavy hitters", the tokens that received the most attention
// from all later prompt tokens (summed inside the attention kernel, never as a full
// matrix), plus the most recent tokens: half the budget each, as in the paper.

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"

namespace engine {

class H2oPolicy final : public KeepPolicy {
public:
    explicit H2oPolicy(const PolicyOptions& options) : options_(options) {}
    std::string name() const override { return "h2o"; }
    bool wants_key_attention() const override { return true; }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;

private:
    PolicyOptions options_;
};

}  // namespace engine
