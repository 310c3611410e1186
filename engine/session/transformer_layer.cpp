#include "engine/session/transformer_layer.h"

#include "engine/model/model.h"
#include "engine/session/kv_rows.h"

#include <algorithm>
#include <cmath>

namespace engine {

void transformer_layer(const Model& model, int64_t layer, Backend& be, const LayerRows& r, const LayerContext& ctx,
                       const ProjectionHook* hook) {
    const ModelConfig& c = model.config();
    const LayerWeights& w = model.weights().layers[static_cast<size_t>(layer)];
    const int64_t m = r.m;
    auto project = [&](Projection p, const WeightMatrix& weight, const float* x, float* y) {
        be.matmul(weight, x, m, y);
        if (hook && *hook) (*hook)(p, x, y);
    };

    // Attention block: x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n), n = rmsnorm(x).
    be.rmsnorm(r.x, w.attn_norm, m, c.dim, c.rms_eps, r.normed);
    project(Projection::Q, w.wq, r.normed, r.q);
    project(Projection::K, w.wk, r.normed, r.k);
    project(Projection::V, w.wv, r.normed, r.v);
    if (c.qkv_bias) {
        be.add_bias(r.q, w.bq, m);
        be.add_bias(r.k, w.bk, m);
        be.add_bias(r.v, w.bv, m);
    }
    if (c.qk_norm) {
        be.rmsnorm(r.q, w.q_norm, m * c.n_heads, c.head_dim, c.rms_eps, r.q);
        be.rmsnorm(r.k, w.k_norm, m * c.n_kv_heads, c.head_dim, c.rms_eps, r.k);
    }
    be.rope(r.q, m, c.n_heads, c.head_dim, r.positions, model.rope_freqs(), c.rope_style);
    be.rope(r.k, m, c.n_kv_heads, c.head_dim, r.positions, model.rope_freqs(), c.rope_style);
    round_to_kv_type(ctx.kv_type, r.k, m * c.n_kv_heads, c.head_dim);
    round_to_kv_type(ctx.kv_type, r.v, m * c.n_kv_heads, c.head_dim);

    AttentionArgs a;
    a.q = r.q;
    a.n_q = m;
    a.n_heads = c.n_heads;
    a.n_kv_heads = c.n_kv_heads;
    a.head_dim = c.head_dim;
    a.past = ctx.past;
    a.k = ctx.k;
    a.v = ctx.v;
    a.n_cur = ctx.n_cur;
    a.q_offset = ctx.q_offset;
    a.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    a.out = r.attn;
    a.key_attention = ctx.key_attention;
    a.key_attention_stride = ctx.key_attention_stride;
    a.past_attention = ctx.past_attention;
    const bool observing = ctx.observed_key_attention || ctx.observed_past_attention;
    const int64_t observed = observing ? std::clamp<int64_t>(ctx.observed_from - ctx.q_offset, 0, m) : m;
    if (observed > 0) {
        AttentionArgs before = a;
        before.n_q = observed;
        be.attention(before);
    }
    if (observed < m) {   // the observation window's queries, with sums of their own
        AttentionArgs window = a;
        window.q = r.q + observed * c.q_dim();
        window.n_q = m - observed;
        window.q_offset = ctx.q_offset + observed;
        window.out = r.attn + observed * c.q_dim();
        window.key_attention = ctx.observed_key_attention;
        if (ctx.observed_past_attention) window.past_attention = ctx.observed_past_attention;
        be.attention(window);
    }
    project(Projection::O, w.wo, r.attn, r.proj);
    be.add(r.x, r.proj, m * c.dim);

    // Feed-forward block: x += W_down · (silu(W_gate·n) * W_up·n), n = rmsnorm(x).
    be.rmsnorm(r.x, w.ffn_norm, m, c.dim, c.rms_eps, r.normed);
    project(Projection::Gate, w.w_gate, r.normed, r.gate);
    project(Projection::Up, w.w_up, r.normed, r.up);
    be.swiglu(r.gate, r.up, m * c.ffn_dim, r.gate);
    project(Projection::Down, w.w_down, r.gate, r.proj);
    be.add(r.x, r.proj, m * c.dim);
}

}  // namespace engine
