#include "engine/eviction/lookahead_policy.h"

#include "engine/error.h"

namespace engine {

LookaheadPolicy::LookaheadPolicy(const PolicyOptions& o, DraftSource source) : SnapKvPolicy(o), options_(o), source_(source) {
    if (o.draft_tokens < 1) throw Error(name() + ": the draft must have at least 1 token, got " + std::to_string(o.draft_tokens));
    if (source == DraftSource::DraftModel && !o.draft_model && o.draft_model_path.empty())
        throw Error("speckv: no draft model given (a smaller GGUF with the target's vocabulary)");
}

std::string LookaheadPolicy::describe(DraftSource source) {
    if (source == DraftSource::CompressedSelf)
        return "laq: Lookahead Q-Cache. Prefills with the full cache, compresses a copy with snapkv, greedily drafts "
               "--draft-tokens (default 8) pseudo-answer tokens on that copy, then scores the full prompt cache with "
               "the draft's queries plus the observation window (snapkv scoring, window and pool kernel as snapkv) and "
               "re-selects per layer. Peak memory holds the full cache of all layers.";
    return "speckv: draft-model lookahead. A smaller model with the same vocabulary (--draft-model) greedily drafts "
           "--draft-tokens (default 8) pseudo-answer tokens with a full cache; the target model's queries for them "
           "plus the observation window score the prompt (as laq). Peak memory holds the full cache of all layers "
           "of the target and the draft.";
}

std::vector<std::vector<int32_t>> LookaheadPolicy::keep(const LayerKeepInput& in) {
    if (in.n_lookahead <= 0 && in.n_tokens > budget_)
        throw Error(name() + " drafts before it selects: prefill through prefill_with_policy(), not the layer hook");
    return SnapKvPolicy::keep(in);
}

}  // namespace engine
