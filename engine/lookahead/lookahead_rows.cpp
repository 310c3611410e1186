#include "engine/lookahead/lookahead_rows.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/model/model.h"
#include "engine/session/transformer_layer.h"

#include <string>

namespace engine {

LookaheadRows::LookaheadRows(const Model& model, const LookaheadAdapter& adapter, int64_t first_position)
    : model_(model), adapter_(adapter), m_(adapter.options.n_tokens) {
    const ModelConfig& c = model.config();
    if (adapter.base.dim != c.dim || adapter.base.n_layers != c.n_layers ||
        static_cast<int64_t>(adapter.embeddings.size()) != m_ * c.dim)
        throw Error("the LookaheadKV adapter does not fit this model's shapes");
    if (first_position < 0) throw Error("lookahead rows: negative first position");
    hidden_ = adapter.embeddings;
    positions_.resize(static_cast<size_t>(m_));
    for (int64_t i = 0; i < m_; ++i) positions_[static_cast<size_t>(i)] = static_cast<int32_t>(first_position + i);
    normed_.resize(static_cast<size_t>(m_ * std::max(c.dim, c.q_dim())));
    q_.resize(static_cast<size_t>(m_ * c.q_dim()));
    k_.resize(static_cast<size_t>(m_ * c.kv_dim()));
    v_.resize(static_cast<size_t>(m_ * c.kv_dim()));
    attn_.resize(static_cast<size_t>(m_ * c.q_dim()));
    proj_.resize(static_cast<size_t>(m_ * c.dim));
    gate_.resize(static_cast<size_t>(m_ * c.ffn_dim));
    up_.resize(static_cast<size_t>(m_ * c.ffn_dim));
    xa_.resize(static_cast<size_t>(m_ * adapter.options.rank));
}

void LookaheadRows::add_lora(Backend& be, int64_t layer, int target, const float* x, float* y) {
    const LoraMatrices& lora = adapter_.lora[static_cast<size_t>(layer)][static_cast<size_t>(target)];
    if (lora.a.empty()) return;
    const ModelConfig& c = model_.config();
    const auto t = static_cast<LoraTarget>(target);
    const int64_t in = lora_target_in(c, t), out = lora_target_out(c, t), rank = adapter_.options.rank;
    const WeightMatrix a{reinterpret_cast<const uint8_t*>(lora.a.data()), GgmlType::F32, rank, in};
    const WeightMatrix b{reinterpret_cast<const uint8_t*>(lora.b.data()), GgmlType::F32, out, rank};
    be.matmul(a, x, m_, xa_.data());
    const float scale = adapter_.lora_scale();
    for (float& v : xa_) v *= scale;
    lora_out_.resize(static_cast<size_t>(m_ * out));
    be.matmul(b, xa_.data(), m_, lora_out_.data());
    be.add(y, lora_out_.data(), m_ * out);
}

void LookaheadRows::run_layer(Backend& be, int64_t layer, std::span<const KvSpan> prompt, float* const* prompt_attention) {
    const ModelConfig& c = model_.config();
    if (layer != next_layer_) throw Error("lookahead rows: layer " + std::to_string(layer) + " run out of order");
    if (static_cast<int64_t>(prompt.size()) != c.n_kv_heads)
        throw Error("lookahead rows: prompt K/V for " + std::to_string(prompt.size()) + " KV heads, the model has " +
                    std::to_string(c.n_kv_heads));
    const ProjectionHook lora = [&](Projection p, const float* x, float* y) { add_lora(be, layer, static_cast<int>(p), x, y); };
    LayerRows rows;
    rows.x = hidden_.data();
    rows.m = m_;
    rows.positions = positions_;
    rows.k = k_.data();
    rows.v = v_.data();
    rows.q = q_.data();
    rows.normed = normed_.data();
    rows.attn = attn_.data();
    rows.proj = proj_.data();
    rows.gate = gate_.data();
    rows.up = up_.data();
    // The rows attend to the layer's prompt K/V and causally to each other.
    LayerContext context;
    context.past = prompt;
    context.k = k_.data();
    context.v = v_.data();
    context.n_cur = m_;
    context.past_attention = prompt_attention;
    transformer_layer(model_, layer, be, rows, context, &lora);
    ++next_layer_;
}

}  // namespace engine
