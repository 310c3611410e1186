#pragma once
// H2O (Zhang et al., 2023): heavy hitters (the tokens with the most accumulated attention
// from all later prompt queries) plus the most recent tokens, half of the budget each.

#include "engine/eviction/policy_options.h"
#include "engine/eviction/eviction_policy.h"

namespace engine {

class H2oPolicy final : public EvictionPolicy {
public:
    explicit H2oPolicy(const PolicyOptions& options);
    std::string name() const override { return "h2o"; }
    int64_t budget() const override { return budget_; }
    static std::string describe();
    bool wants_key_attention() const override { return true; }
    // B >= n: every token. Otherwise per KV head: the last B/2 (rounded down) tokens plus the
    // top B - B/2 earlier ones by attention summed over all prompt queries and the query
    // heads of the KV group.
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;

private:
    int64_t budget_;
};

}  // namespace engine
