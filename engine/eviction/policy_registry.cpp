#include "engine/eviction/policy_registry.h"

#include "engine/error.h"
#include "engine/eviction/h2o_policy.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/eviction/snapkv_policy.h"
#include "engine/eviction/streaming_policy.h"

namespace engine {

const std::vector<PolicyInfo>& eviction_policies() {
    static const std::vector<PolicyInfo> policies = {
        {"full", "keep every token (the uncompressed reference)"},
        {"streaming", "StreamingLLM: 4 attention-sink tokens + the most recent ones"},
        {"snapkv", "SnapKV: the last 32 prompt tokens' attention, averaged over the window and the query "
                   "heads of each KV group, max-pooled (kernel 7); keeps the window + the top (B - 32)"},
        {"pyramidkv", "PyramidKV: SnapKV scores with budgets falling linearly from 2B - B/20 (bottom layer) "
                      "to B/20 (top layer), the same total (beta = 20)"},
        {"h2o", "H2O: half the budget for the tokens that received the most attention from all later "
                "prompt tokens, half for the most recent ones"},
    };
    return policies;
}

std::shared_ptr<KeepPolicy> make_policy(std::string_view name, const PolicyOptions& options) {
    if (options.budget < 1) throw Error("the KV budget must be at least 1 token per head per layer");
    if (name == "full") return std::make_shared<FullPolicy>();
    if (name == "streaming") return std::make_shared<StreamingPolicy>(options);
    if (name == "snapkv") return std::make_shared<SnapKvPolicy>(options);
    if (name == "pyramidkv") return std::make_shared<PyramidKvPolicy>(options);
    if (name == "h2o") return std::make_shared<H2oPolicy>(options);
    std::string known;
    for (const auto& p : eviction_policies()) known += (known.empty() ? "" : ", ") + std::string(p.name);
    throw Error("unknown eviction policy \"" + std::string(name) + "\"; known policies: " + known);
}

std::string describe_policies() {
    std::string out;
    for (const auto& p : eviction_policies()) out += "  " + std::string(p.name) + ": " + std::string(p.summary) + "\n";
    return out;
}

}  // namespace engine
