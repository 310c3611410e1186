#include "engine/eviction/draft_steps.h"

#include "engine/error.h"
#include "engine/eviction/joint_eviction.h"
#include "engine/session/layer_major_forward.h"
#include "engine/session/session.h"

#include <algorithm>

namespace engine::draft_steps {
namespace {

// Layer l's new keys (or values) as [n][kv_dim], gathered back from the per-head cache.
std::vector<float> new_rows(const CompressedCache& cache, const CompressedCache::Mark& base, int64_t layer, int64_t n,
                            bool values) {
    const int64_t d = cache.head_dim(), kv_heads = cache.n_kv_heads();
    std::vector<float> rows(static_cast<size_t>(n * kv_heads * d));
    for (int64_t h = 0; h < kv_heads; ++h) {
        const KvHeadCache& hc = cache.head(layer, h);
        const KvRows& from = values ? hc.v : hc.k;
        const int64_t first = base.head_sizes[static_cast<size_t>(layer * kv_heads + h)];
        for (int64_t t = 0; t < n; ++t) from.decode(first + t, 1, rows.data() + (t * kv_heads + h) * d);
    }
    return rows;
}

}  // namespace

std::vector<std::vector<int32_t>> FullPassRecorder::keep(const EvictionInput& in) {
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

std::vector<int32_t> draft_on_compressed(const std::shared_ptr<const Model>& model, const std::shared_ptr<Backend>& backend,
                                         CompressedCache compressed, std::vector<float> logits, int64_t count,
                                         const std::atomic<bool>* cancel) {
    Session drafter(model, backend, std::move(compressed), {}, std::move(logits));
    return drafter.generate({.max_new_tokens = count}, {}, {}, cancel).tokens;
}

std::optional<std::vector<int32_t>> draft_with_model(const PolicyOptions& options, const Model& target,
                                                     const std::vector<int32_t>& history,
                                                     const std::shared_ptr<Backend>& backend,
                                                     const std::atomic<bool>* cancel) {
    std::shared_ptr<const Model> draft_model = options.draft_model;
    if (!draft_model) draft_model = Model::open(options.draft_model_path);
    if (draft_model->config().vocab_size != target.config().vocab_size)
        throw Error("speckv: the draft model's vocabulary (" + std::to_string(draft_model->config().vocab_size) +
                    " tokens) differs from the target's (" + std::to_string(target.config().vocab_size) + ")");
    SessionOptions drafting;
    drafting.answer_room = options.draft_tokens;
    // A history past the draft model's window (windowed reading): the draft reads it in
    // windows with SnapKV at the policy's budget; the full cache cannot.
    if (static_cast<int64_t>(history.size()) + options.draft_tokens > draft_model->config().context_length)
        drafting.policy = std::make_shared<SnapKvPolicy>(options);
    Session drafter(draft_model, backend, drafting);
    if (!drafter.prefill(history, {}, cancel)) return std::nullopt;
    const GenerationStats answer = drafter.generate({.max_new_tokens = options.draft_tokens}, {}, {}, cancel);
    if (answer.stop_reason == StopReason::Cancelled) return std::nullopt;
    return answer.tokens;
}

std::vector<std::vector<float>> queries_of_draft(const Model& model, Backend& backend, CompressedCache& full,
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

LayerHeadSets reselect(DraftPolicy& policy, const Model& model, Backend& backend, const CompressedCache& full,
                       const CompressedCache::Mark& base, int64_t n, const std::vector<const float*>& window_queries,
                       int64_t n_window, const std::vector<std::vector<float>>& draft_queries, int64_t n_draft) {
    const ModelConfig& c = model.config();
    LayerHeadSets kept(static_cast<size_t>(c.n_layers));
    for (int64_t l = 0; l < c.n_layers; ++l) {
        const std::vector<float> k = new_rows(full, base, l, n, false), v = new_rows(full, base, l, n, true);
        EvictionInput in;
        in.layer = l;
        in.n_layers = c.n_layers;
        in.n_tokens = n;
        in.n_heads = c.n_heads;
        in.n_kv_heads = c.n_kv_heads;
        in.head_dim = c.head_dim;
        in.k = k.data();
        in.v = v.data();
        in.backend = &backend;
        in.window_queries = window_queries[static_cast<size_t>(l)];
        in.n_window = n_window;
        in.draft_queries = draft_queries[static_cast<size_t>(l)].data();
        in.n_draft = n_draft;
        kept[static_cast<size_t>(l)] = policy.keep(in);
        check_kept_indices(policy, in, kept[static_cast<size_t>(l)]);
    }
    return kept;
}

void reselect_jointly(DraftPolicy& policy, const Model& model, Backend& backend, CompressedCache& full, const CompressedCache::Mark& base,
                      int64_t n, const std::vector<const float*>& window_queries, int64_t n_window,
                      const std::vector<std::vector<float>>& draft_queries, int64_t n_draft, int64_t n_probe) {
    const ModelConfig& c = model.config();
    for (int64_t l = 0; l < c.n_layers; ++l) {
        EvictionInput in;
        in.layer = l;
        in.n_layers = c.n_layers;
        in.n_tokens = n;
        in.n_heads = c.n_heads;
        in.n_kv_heads = c.n_kv_heads;
        in.head_dim = c.head_dim;
        in.window_queries = window_queries[static_cast<size_t>(l)];
        in.n_window = n_window;
        in.draft_queries = draft_queries[static_cast<size_t>(l)].data();
        in.n_draft = n_draft;
        in.n_probe = n_probe;
        in.backend = &backend;   // scoring runs on the pass's own threads
        evict_jointly(policy, in, full, l, base, nullptr);
    }
}

}  // namespace engine::draft_steps
