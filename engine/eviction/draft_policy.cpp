#include "engine/eviction/draft_policy.h"

#include "engine/error.h"
#include "engine/eviction/draft_steps.h"
#include "engine/eviction/token_selection.h"
#include "engine/model/model.h"
#include "engine/session/layer_major_forward.h"

#include <algorithm>
#include <chrono>

namespace engine {

namespace {

constexpr int64_t kLaqDraftTokens = 8;        // LAQ's paper setting
constexpr int64_t kLaqppStage2Window = 8;     // LAQ++: the last prompt queries join the draft's

PolicyOptions with_paper_defaults(PolicyOptions o, DraftSource source) {
    const bool laq = source == DraftSource::CompressedSelf;
    if (o.draft_tokens == 0) o.draft_tokens = laq ? kLaqDraftTokens : o.answer_tokens;
    if (!o.draft_reduction) o.draft_reduction = laq ? ScoreReduction::Mean : ScoreReduction::Max;
    return o;
}

}  // namespace

DraftPolicy::DraftPolicy(const PolicyOptions& o, DraftSource source)
    : SnapKvPolicy(o), options_(with_paper_defaults(o, source)), source_(source) {
    if (options_.draft_tokens < 1)
        throw Error(name() + ": the draft must have at least 1 token, got " + std::to_string(options_.draft_tokens));
    if (options_.laq_stage2_window < 0)
        throw Error("laq: the stage-2 window cannot be negative, got " + std::to_string(options_.laq_stage2_window));
    if (source == DraftSource::DraftModel && !o.draft_model && o.draft_model_path.empty())
        throw Error("speckv: no draft model given (a smaller GGUF with the target's vocabulary)");
}

std::string DraftPolicy::describe(DraftSource source) {
    if (source == DraftSource::CompressedSelf)
        return "laq: Lookahead Q-Cache (Wang et al. 2025). Prefills with the full cache, compresses a copy with "
               "snapkv, greedily drafts --draft-tokens (default " + std::to_string(kLaqDraftTokens) +
               ") pseudo-answer tokens on that copy, then re-selects per layer on the full prompt cache by the "
               "draft's queries' attention, averaged over them (--draft-reduction, default mean) and max-pooled as "
               "snapkv; the last --laq-stage2-window prompt queries (default 0; " + std::to_string(kLaqppStage2Window) +
               " is LAQ++) join them and are kept. Peak memory holds the full cache of all layers.";
    return "speckv: draft-model lookahead (Galim et al. 2025). A smaller model with the same vocabulary "
           "(--draft-model; default the model itself, reported as an oracle: its greedy draft is the full cache's own "
           "answer) greedily drafts --draft-tokens pseudo-answer tokens (default: as many as the answer may have) with "
           "a full cache; the target model's queries for them plus the observation window (--window) score the "
           "prompt, the largest weight over the queries (--draft-reduction, default max), max-pooled as snapkv. Peak "
           "memory holds the full cache of all layers of the target and the draft.";
}

int64_t DraftPolicy::reselect_window() const {
    return source_ == DraftSource::CompressedSelf ? options_.laq_stage2_window : window_;
}

std::vector<std::vector<int32_t>> DraftPolicy::keep(const EvictionInput& in) {
    const int64_t n = in.n_candidates();
    if (budget_ >= n) return same_for_all_heads(in, index_range(0, n));
    if (in.n_draft <= 0 || !in.draft_queries)
        throw Error(name() + " drafts before it selects: its keep() runs inside its own prefill(), not the layer hook");
    // Pass 1 saved the whole observation window; only its last queries take part here.
    EvictionInput own = in;
    own.n_window = std::min(reselect_window(), in.n_window);
    own.window_queries = own.n_window > 0 ? in.window_queries + (in.n_window - own.n_window) * in.n_heads * in.head_dim : nullptr;
    if (own.n_window > 0 && !in.window_queries) throw Error(name() + ": no observation-window queries to re-select with");
    if (budget_ <= own.n_window) return same_for_all_heads(in, index_range(n - budget_, budget_));
    return keep_top(own, budget_, *options_.draft_reduction);
}

bool drafts_with_target(const PolicyOptions& options, const Model& target) {
    return options.draft_model && (options.draft_model.get() == &target || options.draft_model->fingerprint() == target.fingerprint());
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
    // Windowed reading: pass 1 keeps every new token after the cached ones, the question
    // after the window too (the draft answers it); pass 4 then chooses among both.
    const bool joint = ctx.evict_cached;
    const int64_t probe = ctx.probe;
    ctx.evict_cached = false;
    ctx.probe = 0;
    const bool read = ctx.forward(work, tokens, &recorder, prompt_logits);
    ctx.evict_cached = joint;
    ctx.probe = probe;
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
        steps::reselect_jointly(*this, model, *ctx.backend, work, base, n, window, recorder.n_window, queries, n_draft, probe);
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
