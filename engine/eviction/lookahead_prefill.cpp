#include "engine/eviction/lookahead_prefill.h"

#include "engine/error.h"

#include <algorithm>

namespace engine {
namespace {

using lookahead_steps::LayerHeadSets;

// Pass 1's policy: keeps everything, remembering each layer's window queries and (for LAQ)
// what SnapKV would keep.
class FullPassRecorder final : public KeepPolicy {
public:
    FullPassRecorder(const PolicyOptions& options, bool want_snap) : snap_(options), want_snap_(want_snap) {}
    std::string name() const override { return "lookahead-full-pass"; }
    int64_t query_window() const override { return snap_.query_window(); }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& in) override {
        const auto l = static_cast<size_t>(in.layer);
        if (window_queries.size() <= l) window_queries.resize(l + 1);
        window_queries[l].assign(in.window_queries, in.window_queries + in.n_window * in.n_heads * in.head_dim);
        n_window = in.n_window;
        if (want_snap_) {
            if (snap_kept.size() <= l) snap_kept.resize(l + 1);
            snap_kept[l] = snap_.keep(in);
        }
        return FullPolicy().keep(in);
    }
    std::vector<std::vector<float>> window_queries;
    int64_t n_window = 0;
    LayerHeadSets snap_kept;

private:
    SnapKvPolicy snap_;
    bool want_snap_;
};

int32_t argmax(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());   // first max wins
}

bool is_end(const Model& model, int32_t token) {
    const auto& ends = model.end_tokens();
    return std::find(ends.begin(), ends.end(), token) != ends.end();
}

// Layer l's new keys as [n][kv_dim], gathered back from the per-head cache.
std::vector<float> new_keys(const CompressedCache& cache, const CompressedCache::Mark& base, int64_t layer, int64_t n) {
    const int64_t d = cache.head_dim(), kv_heads = cache.n_kv_heads();
    std::vector<float> k(static_cast<size_t>(n * kv_heads * d));
    for (int64_t h = 0; h < kv_heads; ++h) {
        const KvHeadCache& hc = cache.head(layer, h);
        const int64_t first = base.head_sizes[static_cast<size_t>(layer * kv_heads + h)];
        for (int64_t t = 0; t < n; ++t)
            std::copy_n(hc.k.begin() + (first + t) * d, d, k.begin() + (t * kv_heads + h) * d);
    }
    return k;
}

}  // namespace

namespace lookahead_steps {

CompressedCache keep_entries(const CompressedCache& full, const CompressedCache::Mark& base, const LayerHeadSets& kept) {
    CompressedCache out(full.n_layers(), full.n_kv_heads(), full.head_dim(), full.model_fingerprint());
    out.add_tokens(full.tokens());
    const int64_t d = full.head_dim();
    for (int64_t l = 0; l < full.n_layers(); ++l)
        for (int64_t h = 0; h < full.n_kv_heads(); ++h) {
            const KvHeadCache& src = full.head(l, h);
            KvHeadCache& dst = out.head(l, h);
            const int64_t first = base.head_sizes[static_cast<size_t>(l * full.n_kv_heads() + h)];
            auto copy = [&](int64_t e) {
                dst.positions.push_back(src.positions[static_cast<size_t>(e)]);
                dst.k.insert(dst.k.end(), src.k.begin() + e * d, src.k.begin() + (e + 1) * d);
                dst.v.insert(dst.v.end(), src.v.begin() + e * d, src.v.begin() + (e + 1) * d);
            };
            for (int64_t e = 0; e < first; ++e) copy(e);
            for (int32_t t : kept[static_cast<size_t>(l)][static_cast<size_t>(h)]) copy(first + t);
        }
    return out;
}

std::vector<int32_t> draft_on_compressed(const Model& model, Backend& backend, CompressedCache compressed,
                                         std::vector<float> logits, int64_t count) {
    ForwardScratch scratch;
    std::vector<int32_t> draft;
    for (int64_t i = 0; i < count; ++i) {
        const int32_t token = argmax(logits);
        draft.push_back(token);
        if (is_end(model, token) || i + 1 == count) break;
        const int32_t one[1] = {token};
        ForwardRequest req;
        req.tokens = one;
        forward_tokens(model, backend, scratch, compressed, req, logits);
    }
    return draft;
}

std::optional<std::vector<int32_t>> draft_with_model(const PolicyOptions& options, const Model& target,
                                                     const std::vector<int32_t>& history, int threads,
                                                     const std::atomic<bool>* cancel) {
    std::shared_ptr<const Model> draft_model = options.draft_model;
    if (!draft_model) draft_model = Model::open(options.draft_model_path);
    if (draft_model->config().vocab_size != target.config().vocab_size)
        throw Error("speckv: the draft model's vocabulary (" + std::to_string(draft_model->config().vocab_size) +
                    " tokens) differs from the target's (" + std::to_string(target.config().vocab_size) + ")");
    Session draft(*draft_model, {.threads = threads});
    if (!draft.prefill(history, {}, cancel)) return std::nullopt;
    std::vector<int32_t> tokens;
    for (int64_t i = 0; i < options.draft_tokens; ++i) {
        const int32_t token = argmax(draft.logits());
        tokens.push_back(token);
        if (is_end(*draft_model, token) || i + 1 == options.draft_tokens) break;
        draft.decode(token);
    }
    return tokens;
}

std::vector<std::vector<float>> draft_queries(const Model& model, Backend& backend, CompressedCache& full,
                                              std::span<const int32_t> draft, int64_t chunk) {
    std::vector<std::vector<float>> queries;
    const CompressedCache::Mark before = full.mark();
    ForwardScratch scratch;
    std::vector<float> ignored;
    ForwardRequest dq;
    dq.tokens = draft;
    dq.chunk = chunk;
    dq.queries = &queries;
    forward_tokens(model, backend, scratch, full, dq, ignored);
    full.rollback(before);
    return queries;
}

LayerHeadSets reselect(LookaheadPolicy& policy, const Model& model, const CompressedCache& full,
                       const CompressedCache::Mark& base, int64_t n, const std::vector<const float*>& window_queries,
                       int64_t n_window, const std::vector<std::vector<float>>& draft_queries, int64_t n_draft) {
    const ModelConfig& c = model.config();
    LayerHeadSets kept(static_cast<size_t>(c.n_layers));
    for (int64_t l = 0; l < c.n_layers; ++l) {
        const std::vector<float> k = new_keys(full, base, l, n);
        LayerKeepInput in;
        in.layer = l;
        in.n_layers = c.n_layers;
        in.n_tokens = n;
        in.n_heads = c.n_heads;
        in.n_kv_heads = c.n_kv_heads;
        in.head_dim = c.head_dim;
        in.k = k.data();
        in.window_queries = window_queries[static_cast<size_t>(l)];
        in.n_window = n_window;
        in.lookahead_queries = draft_queries[static_cast<size_t>(l)].data();
        in.n_lookahead = n_draft;
        kept[static_cast<size_t>(l)] = policy.keep(in);
        check_kept_indices(policy, in, kept[static_cast<size_t>(l)]);
    }
    return kept;
}

}  // namespace lookahead_steps

bool lookahead_prefill(Session& session, std::span<const int32_t> tokens, const LookaheadPolicy& policy,
                       const ProgressCallback& on_progress, const std::atomic<bool>* cancel, std::vector<int32_t>* drafted) {
    namespace steps = lookahead_steps;
    const Model& model = session.model();
    const PolicyOptions& options = policy.options();
    const int64_t n = static_cast<int64_t>(tokens.size());
    if (drafted) drafted->clear();
    if (n == 0) return true;

    // Pass 1: the full cache of every layer.
    CompressedCache work = session.cache();
    const CompressedCache::Mark base = work.mark();
    FullPassRecorder recorder(options, policy.source() == DraftSource::CompressedSelf);
    ForwardScratch scratch;
    std::vector<float> logits;
    ForwardRequest req;
    req.tokens = tokens;
    req.chunk = session.options().chunk;
    req.policy = &recorder;
    req.cancel = cancel;
    req.progress = &on_progress;
    if (!forward_tokens(model, session.backend(), scratch, work, req, logits)) return false;
    if (options.budget >= n) {   // nothing to evict
        session.adopt(std::move(work), std::move(logits));
        return true;
    }

    // Pass 2: the pseudo-answer.
    std::vector<int32_t> draft;
    if (policy.source() == DraftSource::CompressedSelf) {
        draft = steps::draft_on_compressed(model, session.backend(), steps::keep_entries(work, base, recorder.snap_kept),
                                           logits, options.draft_tokens);
    } else {
        auto answer = steps::draft_with_model(options, model, work.tokens(), session.backend().threads(), cancel);
        if (!answer) return false;
        draft = std::move(*answer);
    }
    if (cancel && cancel->load(std::memory_order_relaxed)) return false;

    // Pass 3: the target's queries for the draft, read on the full cache, then forgotten.
    const auto queries = steps::draft_queries(model, session.backend(), work, draft, session.options().chunk);

    // Pass 4: re-select per layer with the window and the draft's queries.
    LookaheadPolicy selector = policy;
    std::vector<const float*> window(recorder.window_queries.size());
    for (size_t l = 0; l < window.size(); ++l) window[l] = recorder.window_queries[l].data();
    const auto kept = steps::reselect(selector, model, work, base, n, window, recorder.n_window, queries,
                                      static_cast<int64_t>(draft.size()));
    session.adopt(steps::keep_entries(work, base, kept), std::move(logits));
    if (drafted) *drafted = std::move(draft);
    return true;
}

bool laq_prefill(Session& session, std::span<const int32_t> tokens, const PolicyOptions& options,
                 const ProgressCallback& on_progress, const std::atomic<bool>* cancel) {
    return lookahead_prefill(session, tokens, LookaheadPolicy(options, DraftSource::CompressedSelf), on_progress, cancel);
}

bool speckv_prefill(Session& session, std::span<const int32_t> tokens, const PolicyOptions& options,
                    const ProgressCallback& on_progress, const std::atomic<bool>* cancel) {
    return lookahead_prefill(session, tokens, LookaheadPolicy(options, DraftSource::DraftModel), on_progress, cancel);
}

}  // namespace engine
