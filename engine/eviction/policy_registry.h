#pragma once
// Eviction policies by name, for `--policy NAME --budget B`:
//
//   engine::PolicyOptions options{.budget = 256};
//   auto policy = engine::make_policy("snapkv", options);      // throws for an unknown name
//   engine::prefill_with_policy(session, *policy, tokens, on_progress, &cancel);
//   std::cout << engine::kv_footprint(session.cache()).summary();   // "kept X MiB of Y MiB (Z%)"

#include "engine/eviction/policy_options.h"
#include "engine/session/keep_policy.h"
#include "engine/session/session.h"

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace engine {

// full, streamingllm, snapkv, pyramidkv, h2o, laq, speckv.
std::vector<std::string> policy_names();
// What the policy keeps and its defaults, for --help. Throws for an unknown name.
std::string describe_policy(const std::string& name);
// Throws engine::Error naming the known policies for an unknown name, or for bad options.
std::shared_ptr<KeepPolicy> make_policy(const std::string& name, const PolicyOptions& options);

// Prefills through the policy: the layer hook for most, the two-pass prefill for laq and
// speckv (a LookaheadPolicy). Same return and cancel contract as Session::prefill.
bool prefill_with_policy(Session& session, KeepPolicy& policy, std::span<const int32_t> tokens,
                         const ProgressCallback& on_progress = {}, const std::atomic<bool>* cancel = nullptr);

}  // namespace engine
