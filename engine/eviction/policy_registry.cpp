#include "engine/eviction/policy_registry.h"

#include "engine/error.h"
#include "engine/eviction/h2o_policy.h"
#include "engine/eviction/lookahead_prefill.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/eviction/snapkv_policy.h"
#include "engine/eviction/streaming_llm_policy.h"

namespace engine {
namespace {

std::string known_names() {
    std::string all;
    for (const auto& n : policy_names()) all += (all.empty() ? "" : ", ") + n;
    return all;
}

}  // namespace

std::vector<std::string> policy_names() { return {"full", "streamingllm", "snapkv", "pyramidkv", "h2o", "laq", "speckv"}; }

std::string describe_policy(const std::string& name) {
    if (name == "full") return "full: keeps every token (no eviction; the budget is ignored).";
    if (name == "streamingllm") return StreamingLlmPolicy::describe();
    if (name == "snapkv") return SnapKvPolicy::describe();
    if (name == "pyramidkv") return PyramidKvPolicy::describe();
    if (name == "h2o") return H2oPolicy::describe();
    if (name == "laq") return LookaheadPolicy::describe(DraftSource::CompressedSelf);
    if (name == "speckv") return LookaheadPolicy::describe(DraftSource::DraftModel);
    throw Error("unknown eviction policy '" + name + "' (known: " + known_names() + ")");
}

std::shared_ptr<KeepPolicy> make_policy(const std::string& name, const PolicyOptions& options) {
    if (name == "full") return std::make_shared<FullPolicy>();
    if (name == "streamingllm") return std::make_shared<StreamingLlmPolicy>(options);
    if (name == "snapkv") return std::make_shared<SnapKvPolicy>(options);
    if (name == "pyramidkv") return std::make_shared<PyramidKvPolicy>(options);
    if (name == "h2o") return std::make_shared<H2oPolicy>(options);
    if (name == "laq") return std::make_shared<LookaheadPolicy>(options, DraftSource::CompressedSelf);
    if (name == "speckv") return std::make_shared<LookaheadPolicy>(options, DraftSource::DraftModel);
    throw Error("unknown eviction policy '" + name + "' (known: " + known_names() + ")");
}

bool prefill_with_policy(Session& session, KeepPolicy& policy, std::span<const int32_t> tokens,
                         const ProgressCallback& on_progress, const std::atomic<bool>* cancel) {
    if (const auto* lookahead = dynamic_cast<const LookaheadPolicy*>(&policy))
        return lookahead_prefill(session, tokens, *lookahead, on_progress, cancel);
    return session.prefill_with(policy, tokens, on_progress, cancel);
}

}  // namespace engine
