#include "engine/session/layer_major_forward.h"

#include "engine/error.h"
#include "engine/eviction/joint_eviction.h"
#include "engine/session/transformer_layer.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace engine {
namespace {

void grow(std::vector<float>& v, int64_t n) {
    if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
}

struct LayerPass {
    const ModelConfig& c;
    const Model& model;
    Backend& be;
    ForwardScratch& s;
    const CompressedCache& cache;
    int64_t layer;
    int64_t n;   // new tokens
    std::vector<std::vector<float>>* cached_attention;
    std::vector<float>* queries;   // optional [n][q_dim] of this layer
    int64_t observed_from;         // n - window when the policy scores from the window's sums, else n
    std::vector<std::vector<float>>* observed_past;   // joint eviction: the window's sums on cached entries

    // Tokens [c0, c1) through the layer: attention against the cache and new tokens [0, c1).
    void chunk(int64_t c0, int64_t c1, bool sum_key_attention) {
        const int64_t m = c1 - c0;
        LayerRows rows;
        rows.x = s.hidden.data() + c0 * c.dim;
        rows.m = m;
        rows.positions = std::span<const int32_t>(s.positions.data() + c0, static_cast<size_t>(m));
        rows.k = s.layer_k.data() + c0 * c.kv_dim();
        rows.v = s.layer_v.data() + c0 * c.kv_dim();
        rows.q = s.q.data();
        rows.normed = s.normed.data();
        rows.attn = s.attn.data();
        rows.proj = s.proj.data();
        rows.gate = s.gate.data();
        rows.up = s.up.data();

        std::vector<KvSpan> past(static_cast<size_t>(c.n_kv_heads));
        for (int64_t h = 0; h < c.n_kv_heads; ++h) past[static_cast<size_t>(h)] = cache.head(layer, h).span();
        // Per KV head, one sum per cached entry of this layer.
        auto past_sums = [&](std::vector<std::vector<float>>& per_layer) {
            std::vector<float*> sums;
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                auto& totals = per_layer[static_cast<size_t>(layer * c.n_kv_heads + h)];
                totals.resize(static_cast<size_t>(cache.head(layer, h).size()), 0.0f);
                sums.push_back(totals.data());
            }
            return sums;
        };
        std::vector<float*> past_attention, observed_past_attention;
        if (cached_attention) past_attention = past_sums(*cached_attention);
        if (observed_past) observed_past_attention = past_sums(*observed_past);
        LayerContext context;
        context.past = past;
        context.k = s.layer_k.data();
        context.v = s.layer_v.data();
        context.n_cur = c1;
        context.q_offset = c0;
        context.kv_type = cache.kv_type();
        if (cached_attention) context.past_attention = past_attention.data();
        if (sum_key_attention) context.key_attention = s.key_attention.data();
        if (observed_from < n) {
            context.observed_from = observed_from;
            context.observed_key_attention = s.observation.data();
            if (observed_past) context.observed_past_attention = observed_past_attention.data();
        }
        context.key_attention_stride = n;
        transformer_layer(model, layer, be, rows, context);
        if (queries) std::copy_n(s.q.data(), m * c.q_dim(), queries->data() + c0 * c.q_dim());
    }

    // Keeps the rows of the last `window` queries of the new tokens that fall in [c0, c1).
    void save_window_queries(int64_t c0, int64_t c1, int64_t window) {
        const int64_t w0 = n - window;
        for (int64_t t = std::max(c0, w0); t < c1; ++t)
            std::copy_n(s.q.data() + (t - c0) * c.q_dim(), c.q_dim(), s.window_q.data() + (t - w0) * c.q_dim());
    }
};

void append_kept(const ModelConfig& c, const ForwardScratch& s, CompressedCache& cache, int64_t layer,
                 const std::vector<std::vector<int32_t>>& kept) {
    for (int64_t h = 0; h < c.n_kv_heads; ++h) {
        KvHeadCache& hc = cache.head(layer, h);
        for (int32_t t : kept[static_cast<size_t>(h)])
            hc.push_back(s.positions[static_cast<size_t>(t)], s.layer_k.data() + t * c.kv_dim() + h * c.head_dim,
                         s.layer_v.data() + t * c.kv_dim() + h * c.head_dim);
    }
}

bool run_layers(const Model& model, Backend& be, ForwardScratch& s, CompressedCache& cache,
                const ForwardRequest& req, const CompressedCache::Mark& before, int64_t window, bool sum_key_attention,
                bool observe) {
    const ModelConfig& c = model.config();
    const int64_t n = static_cast<int64_t>(req.tokens.size());
    const int64_t chunk = std::min(req.chunk, n);
    be.embed(model.weights().token_embd, req.tokens, s.hidden.data());

    const int64_t total = n * c.n_layers;
    // Joint eviction scores the cached entries too; H2O's score for them is the attention
    // they receive from this window's queries.
    std::vector<std::vector<float>> window_past_attention;
    std::vector<std::vector<float>>* cached_attention = req.cached_attention;
    if (req.evict_cached && sum_key_attention && !cached_attention) {
        window_past_attention.resize(static_cast<size_t>(c.n_layers * c.n_kv_heads));
        cached_attention = &window_past_attention;
    }
    std::vector<std::vector<float>> observed_past;
    if (observe && req.evict_cached) observed_past.resize(static_cast<size_t>(c.n_layers * c.n_kv_heads));
    for (int64_t l = 0; l < c.n_layers; ++l) {
        std::vector<float>* queries = nullptr;
        if (req.queries) {
            queries = &(*req.queries)[static_cast<size_t>(l)];
            queries->assign(static_cast<size_t>(n * c.q_dim()), 0.0f);
        }
        LayerPass pass{c, model, be, s, cache, l, n, cached_attention, queries, observe ? n - window : n,
                       observed_past.empty() ? nullptr : &observed_past};
        if (sum_key_attention) std::fill_n(s.key_attention.begin(), c.n_heads * n, 0.0f);
        if (observe) std::fill_n(s.observation.begin(), c.n_heads * n, 0.0f);
        for (int64_t c0 = 0; c0 < n; c0 += chunk) {
            if (req.cancel && req.cancel->load(std::memory_order_relaxed)) return false;
            const int64_t c1 = std::min(n, c0 + chunk);
            pass.chunk(c0, c1, sum_key_attention);
            if (window > 0) pass.save_window_queries(c0, c1, window);
            if (req.progress && *req.progress) (*req.progress)(l * n + c1, total);
        }
        if (observe && sum_key_attention) {   // sums over all queries include the window's
            be.add(s.key_attention.data(), s.observation.data(), c.n_heads * n);
            if (cached_attention && !observed_past.empty())
                for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                    const auto& window_sums = observed_past[static_cast<size_t>(l * c.n_kv_heads + h)];
                    auto& totals = (*cached_attention)[static_cast<size_t>(l * c.n_kv_heads + h)];
                    be.add(totals.data(), window_sums.data(), static_cast<int64_t>(window_sums.size()));
                }
        }

        std::vector<std::vector<int32_t>> kept;
        if (req.policy) {
            EvictionInput in;
            in.layer = l;
            in.n_layers = c.n_layers;
            in.n_tokens = n;
            in.n_heads = c.n_heads;
            in.n_kv_heads = c.n_kv_heads;
            in.head_dim = c.head_dim;
            in.k = s.layer_k.data();
            in.v = s.layer_v.data();
            in.positions = s.positions;
            in.window_queries = window > 0 ? s.window_q.data() : nullptr;
            in.n_window = window;
            in.n_probe = req.probe;
            in.key_attention = sum_key_attention ? s.key_attention.data() : nullptr;
            in.observation_attention = observe ? s.observation.data() : nullptr;
            in.model = &model;
            in.backend = &be;
            std::vector<float> decoded_past;
            const std::vector<KvSpan> past = cache.float_spans(l, decoded_past);
            in.past = past;
            const auto chose = std::chrono::steady_clock::now();
            if (req.evict_cached) {
                EvictionInput all;
                all.n_tokens = n;
                all.n_kv_heads = c.n_kv_heads;
                append_kept(c, s, cache, l, FullPolicy().keep(all));
                evict_jointly(*req.policy, in, cache, l, before, cached_attention, observe ? &observed_past : nullptr);
            } else {
                kept = req.policy->keep(in);
                check_kept_indices(*req.policy, in, kept);
            }
            if (req.eviction_seconds)
                *req.eviction_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - chose).count();
            if (req.evict_cached) continue;
        } else {
            EvictionInput all;
            all.n_tokens = n;
            all.n_kv_heads = c.n_kv_heads;
            kept = FullPolicy().keep(all);
        }
        append_kept(c, s, cache, l, kept);
    }
    return true;
}

}  // namespace

bool forward_tokens(const Model& model, Backend& be, ForwardScratch& s, CompressedCache& cache,
                    const ForwardRequest& req, std::vector<float>& logits) {
    const ModelConfig& c = model.config();
    const int64_t n = static_cast<int64_t>(req.tokens.size());
    if (n == 0) return true;
    if (req.chunk <= 0) throw Error("prefill chunk size must be positive");
    const int64_t chunk = std::min(req.chunk, n);
    const int64_t window = req.policy ? std::min(req.policy->query_window(), n) : 0;
    const bool sum_key_attention = req.policy && req.policy->wants_key_attention();

    grow(s.hidden, n * c.dim);
    grow(s.layer_k, n * c.kv_dim());
    grow(s.layer_v, n * c.kv_dim());
    grow(s.normed, chunk * c.dim);
    grow(s.q, chunk * c.q_dim());
    grow(s.attn, chunk * c.q_dim());
    grow(s.proj, chunk * c.dim);
    grow(s.gate, chunk * c.ffn_dim);
    grow(s.up, chunk * c.ffn_dim);
    grow(s.window_q, window * c.q_dim());
    if (sum_key_attention) grow(s.key_attention, c.n_heads * n);
    // SnapKV's scores are the observation window's attention, which the layer computes anyway:
    // its queries sum their weights apart from the others' as they go. With cached entries and
    // no joint choice (a follow-up prompt) the layer's softmax spans those entries while the
    // scores span the new tokens only: the policy computes them itself then.
    const bool observe = req.policy && req.policy->wants_observation_attention() && window > 0 &&
                         (req.evict_cached || cache.entries() == 0);
    if (observe) grow(s.observation, c.n_heads * n);
    s.positions.resize(static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t) s.positions[static_cast<size_t>(t)] = static_cast<int32_t>(cache.next_rotary_position() + t);

    if (req.cached_attention) req.cached_attention->resize(static_cast<size_t>(c.n_layers * c.n_kv_heads));
    if (req.queries) req.queries->resize(static_cast<size_t>(c.n_layers));
    const std::lock_guard turn(be.turn());
    const CompressedCache::Mark before = cache.mark();
    // Joint eviction rewrites cached entries, which a mark cannot undo: keep a copy.
    std::optional<CompressedCache> saved;
    if (req.evict_cached && req.policy) saved = cache;
    auto restore = [&] {
        if (saved) cache = std::move(*saved);
        else cache.rollback(before);
    };
    try {
        if (!run_layers(model, be, s, cache, req, before, window, sum_key_attention, observe)) {
            restore();
            return false;
        }
    } catch (...) {
        restore();   // a failing policy or bad token leaves the session as it was
        throw;
    }

    // Logits of the last token only: that is all generation needs.
    const float* last = s.hidden.data() + (n - 1) * c.dim;
    be.rmsnorm(last, model.weights().output_norm, 1, c.dim, c.rms_eps, s.normed.data());
    logits.resize(static_cast<size_t>(c.vocab_size));
    be.matmul(model.weights().output, s.normed.data(), 1, logits.data());
    cache.add_tokens(req.tokens);
    return true;
}

void PrefillContext::report(std::string_view stage, int64_t done) const {
    if (!progress || !*progress) return;
    PrefillProgress p;
    p.stage = stage;
    p.n_layers = model->config().n_layers;
    p.done = done;
    p.total = std::max(work_total, done);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (*progress)(p);
}

bool PrefillContext::forward(CompressedCache& cache, std::span<const int32_t> tokens, EvictionPolicy* policy,
                             std::vector<float>& logits, std::string_view stage, int64_t work_before,
                             std::vector<std::vector<float>>* queries) {
    const int64_t n_layers = model->config().n_layers;
    const int64_t n = static_cast<int64_t>(tokens.size());
    const LayerProgress layer_progress = [&](int64_t done, int64_t) {
        if (!progress || !*progress) return;
        PrefillProgress p;
        p.stage = stage;
        p.layer = n > 0 ? std::min(n_layers - 1, (done - 1) / n) : 0;
        p.n_layers = n_layers;
        p.done = work_before + done;
        p.total = std::max(work_total, p.done);
        p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        (*progress)(p);
    };
    ForwardRequest req;
    req.tokens = tokens;
    req.chunk = chunk;
    req.policy = policy;
    req.cancel = cancel;
    req.progress = &layer_progress;
    req.queries = queries;
    req.eviction_seconds = &eviction_seconds;
    req.evict_cached = evict_cached;
    req.probe = probe;
    ForwardScratch own;
    return forward_tokens(*model, *backend, scratch ? *scratch : own, cache, req, logits);
}

}  // namespace engine
