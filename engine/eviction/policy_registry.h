#pragma once
// Eviction policies by name, as the command line and the evaluation harness name them.

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

struct PolicyInfo {
    std::string_view name;
    std::string_view summary;   // one line for --help, defaults included
};

const std::vector<PolicyInfo>& eviction_policies();
// Throws engine::Error naming the known policies for an unknown name.
std::shared_ptr<KeepPolicy> make_policy(std::string_view name, const PolicyOptions& options);
// The --help text: one line per policy.
std::string describe_policies();

}  // namespace engine
