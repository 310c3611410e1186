#include "engine/eviction/policy_registry.h"

#include "engine/error.h"
#include "engine/eviction/h2o_policy.h"
#include "engine/eviction/lookahead_kv_policy.h"
#include "engine/eviction/draft_policy.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/eviction/snapkv_policy.h"
#include "engine/eviction/streaming_llm_policy.h"

namespace engine {
namespace {

// The part of a describe() text after "name: ".
std::string summary_of(const std::string& described) { return described.substr(described.find(": ") + 2); }

[[noreturn]] void unknown(std::string_view name) {
    std::string known;
    for (const auto& p : eviction_policies()) known += (known.empty() ? "" : ", ") + p.name;
    throw Error("unknown eviction policy '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace

const std::vector<PolicyInfo>& eviction_policies() {
    static const std::vector<PolicyInfo> policies = {
        {"full", "keeps every token (no eviction; the budget is ignored)."},
        {"streaming", summary_of(StreamingLlmPolicy::describe())},
        {"snapkv", summary_of(SnapKvPolicy::describe())},
        {"pyramidkv", summary_of(PyramidKvPolicy::describe())},
        {"h2o", summary_of(H2oPolicy::describe())},
        {"laq", summary_of(DraftPolicy::describe(DraftSource::CompressedSelf))},
        {"speckv", summary_of(DraftPolicy::describe(DraftSource::DraftModel))},
        {"lookahead", summary_of(LookaheadKvPolicy::describe())},
    };
    return policies;
}

std::vector<std::string> policy_names() {
    std::vector<std::string> names;
    for (const auto& p : eviction_policies()) names.push_back(p.name);
    return names;
}

std::string describe_policy(std::string_view name) {
    if (name == "streamingllm") name = "streaming";
    for (const auto& p : eviction_policies())
        if (p.name == name) return p.name + ": " + p.summary;
    unknown(name);
}

std::string describe_policies() {
    std::string out;
    for (const auto& p : eviction_policies()) out += "  " + p.name + ": " + p.summary + "\n";
    return out;
}

std::shared_ptr<EvictionPolicy> make_policy(std::string_view name, const PolicyOptions& options) {
    if (name == "full") return std::make_shared<FullPolicy>();
    if (name == "streaming" || name == "streamingllm") return std::make_shared<StreamingLlmPolicy>(options);
    if (name == "snapkv") return std::make_shared<SnapKvPolicy>(options);
    if (name == "pyramidkv") return std::make_shared<PyramidKvPolicy>(options);
    if (name == "h2o") return std::make_shared<H2oPolicy>(options);
    if (name == "laq") return std::make_shared<DraftPolicy>(options, DraftSource::CompressedSelf);
    if (name == "speckv") return std::make_shared<DraftPolicy>(options, DraftSource::DraftModel);
    if (name == "lookahead" || name == "lookaheadkv") return std::make_shared<LookaheadKvPolicy>(options);
    unknown(name);
}

std::string policy_label(const EvictionPolicy& policy, const Model& target) {
    const auto* draft = dynamic_cast<const DraftPolicy*>(&policy);
    if (draft && draft->source() == DraftSource::DraftModel && drafts_with_target(draft->options(), target))
        return std::string(kSelfDraftOracle);
    return policy.name();
}

}  // namespace engine
