#include "engine/eviction/draft_policy.h"

#include "engine/error.h"
#include "engine/eviction/draft_steps.h"
#include "engine/session/layer_major_forward.h"

#include <chrono>

namespace engine {

DraftPolicy::DraftPolicy(const PolicyOptions& o, DraftSource source) : SnapKvPolicy(o), options_(o), source_(source) {
    if (o.draft_tokens < 1) throw Error(name() + ": the draft must have at least 1 token, got " + std::to_string(o.draft_tokens));
    if (source == DraftSource::DraftModel && !o.draft_model && o.draft_model_path.empty())
        throw Error("speckv: no draft model given (a smaller GGUF with the target's vocabulary)");
}

std::string DraftPolicy::describe(DraftSource source) {
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

std::vector<std::vector<int32_t>> DraftPolicy::keep(const EvictionInput& in) {
    if (in.n_draft <= 0 && in.n_tokens > budget_)
        throw Error(name() + " drafts before it selects: its keep() runs inside its own prefill(), not the layer hook");
    return SnapKvPolicy::keep(in);
}

bool DraftPolicy::prefill(PrefillContext& ctx, std::span<const int32_t> tokens, CompressedCache& cache,
                          std::vector<float>& logits) {
    namespace steps = draft_steps;
    last_draft_.clear();
    const Model& model = *ctx.model;
    const int64_t n = static_cast<int64_t>(tokens.size());
    const int64_t n_layers = model.config().n_layers;
    if (n == 0) return true;
    // The prompt, then about as many token-layers again for the draft and its query pass.
    ctx.work_total = (n + 2 * options_.draft_tokens) * n_layers;

    // Pass 1: the full cache of every layer, on a copy: the session's cache changes only
    // when every pass is done.
    CompressedCache work = cache;
    const CompressedCache::Mark base = work.mark();
    steps::FullPassRecorder recorder(options_, source_ == DraftSource::CompressedSelf);
    std::vector<float> prompt_logits;
    // Windowed reading: pass 1 keeps every new token after the cached ones; pass 4 then
    // chooses among both.
    const bool joint = ctx.evict_cached;
    ctx.evict_cached = false;
    const bool read = ctx.forward(work, tokens, &recorder, prompt_logits);
    ctx.evict_cached = joint;
    if (!read) return false;
    if (options_.budget >= n && !joint) {   // nothing to evict
        cache = std::move(work);
        logits = std::move(prompt_logits);
        return true;
    }

    // Pass 2: the pseudo-answer.
    const auto started = std::chrono::steady_clock::now();
    ctx.report("drafting", n * n_layers);
    std::vector<int32_t> draft;
    if (source_ == DraftSource::CompressedSelf) {
        draft = steps::draft_on_compressed(ctx.model, ctx.backend, work.keep_entries(recorder.snap_kept, base),
                                           prompt_logits, options_.draft_tokens, ctx.cancel);
    } else {
        auto answer = steps::draft_with_model(options_, model, work.tokens(), ctx.backend, ctx.cancel);
        if (!answer) return false;
        draft = std::move(*answer);
    }
    if (ctx.cancelled()) return false;

    // Pass 3: the target's queries for the draft, read on the full cache, then forgotten.
    const auto n_draft = static_cast<int64_t>(draft.size());
    ctx.report("choosing", (n + n_draft) * n_layers);
    const auto queries = steps::queries_of_draft(model, *ctx.backend, work, draft, ctx.chunk);

    // Pass 4: re-select per layer with the window and the draft's queries.
    std::vector<const float*> window(recorder.window_queries.size());
    for (size_t l = 0; l < window.size(); ++l) window[l] = recorder.window_queries[l].data();
    if (joint) {
        steps::reselect_jointly(*this, model, *ctx.backend, work, base, n, window, recorder.n_window, queries, n_draft);
        cache = std::move(work);
    } else {
        const auto kept = steps::reselect(*this, model, *ctx.backend, work, base, n, window, recorder.n_window, queries, n_draft);
        cache = work.keep_entries(kept, base);
    }
    logits = std::move(prompt_logits);
    last_draft_ = std::move(draft);
    ctx.eviction_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.report("choosing", ctx.work_total);
    return true;
}

}  // namespace engine
