#pragma once
// Eviction policies by name, for `--policy NAME --budget B` and the evaluation harness:
//
//   engine::PolicyOptions options{.budget = 256};
//   auto policy = engine::make_policy("snapkv", options);      // throws for an unknown name
//   engine::Session session(model, backend, {.policy = policy});
//   session.prefill(tokens, on_progress, &cancel);
//   std::cout << engine::kv_footprint(session.cache()).summary();   // "kept X MiB of Y MiB (Z%)"

#include "engine/eviction/policy_options.h"
#include "engine/eviction/eviction_policy.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

struct PolicyInfo {
    std::string name;
    std::string summary;   // for --help: what it keeps, its defaults
};

// full, streaming, snapkv, pyramidkv, h2o, laq, speckv, lookahead, with their describe() texts.
const std::vector<PolicyInfo>& eviction_policies();
std::vector<std::string> policy_names();
// "name: summary" of one policy. Throws for an unknown name.
std::string describe_policy(std::string_view name);
// The --help text: one "  name: summary" line per policy.
std::string describe_policies();
// Throws engine::Error naming the known policies for an unknown name, or for bad options.
// "streamingllm" is accepted for "streaming".
std::shared_ptr<EvictionPolicy> make_policy(std::string_view name, const PolicyOptions& options);

// What reports call a policy reading for `target`: its name, except SpecKV drafting with the
// target itself (drafts_with_target), which is kSelfDraftOracle: an upper bound, never shown
// as a plain competitor.
inline constexpr std::string_view kSelfDraftOracle = "speckv (oracle: self-draft)";
std::string policy_label(const EvictionPolicy& policy, const Model& target);

}  // namespace engine
