#include "engine/lookahead/lookahead_rows.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/model/model.h"

#include <cmath>
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

void LookaheadRows::add_lora(int64_t layer, int target, const float* x, float* y) {
    const LoraMatrices& lora = adapter_.lora[static_cast<size_t>(layer)][static_cast<size_t>(target)];
    if (lora.a.empty()) return;
    const ModelConfig& c = model_.config();
    const auto t = static_cast<LoraTarget>(target);
    const int64_t in = lora_target_in(c, t), out = lora_target_out(c, t), rank = adapter_.options.rank;
    const float scale = adapter_.lora_scale();
    for (int64_t i = 0; i < m_; ++i) {
        const float* xi = x + i * in;
        float* xa = xa_.data() + i * rank;
        for (int64_t r = 0; r < rank; ++r) {
            const float* a = lora.a.data() + r * in;
            float sum = 0.0f;
            for (int64_t j = 0; j < in; ++j) sum += a[j] * xi[j];
            xa[r] = sum * scale;
        }
        float* yi = y + i * out;
        for (int64_t o = 0; o < out; ++o) {
            const float* b = lora.b.data() + o * rank;
            float sum = 0.0f;
            for (int64_t r = 0; r < rank; ++r) sum += b[r] * xa[r];
            yi[o] += sum;
        }
    }
}

void LookaheadRows::run_layer(Backend& be, int64_t layer, std::span<const KvSpan> prompt) {
    const ModelConfig& c = model_.config();
    if (layer != next_layer_) throw Error("lookahead rows: layer " + std::to_string(layer) + " run out of order");
    if (static_cast<int64_t>(prompt.size()) != c.n_kv_heads)
        throw Error("lookahead rows: prompt K/V for " + std::to_string(prompt.size()) + " KV heads, the model has " +
                    std::to_string(c.n_kv_heads));
    const LayerWeights& w = model_.weights().layers[static_cast<size_t>(layer)];
    auto project = [&](LoraTarget t, const float* x, float* y) {
        be.matmul(lora_base_weight(w, t), x, m_, y);
        add_lora(layer, static_cast<int>(t), x, y);
    };

    // The attention block, as the forward pass runs it, with LoRA on q, k, v and o.
    be.rmsnorm(hidden_.data(), w.attn_norm, m_, c.dim, c.rms_eps, normed_.data());
    project(LoraTarget::Q, normed_.data(), q_.data());
    project(LoraTarget::K, normed_.data(), k_.data());
    project(LoraTarget::V, normed_.data(), v_.data());
    if (c.qkv_bias) {
        be.add_bias(q_.data(), w.bq, m_);
        be.add_bias(k_.data(), w.bk, m_);
        be.add_bias(v_.data(), w.bv, m_);
    }
    if (c.qk_norm) {
        be.rmsnorm(q_.data(), w.q_norm, m_ * c.n_heads, c.head_dim, c.rms_eps, q_.data());
        be.rmsnorm(k_.data(), w.k_norm, m_ * c.n_kv_heads, c.head_dim, c.rms_eps, k_.data());
    }
    be.rope(q_.data(), m_, c.n_heads, c.head_dim, positions_, model_.rope_freqs(), c.rope_style);
    be.rope(k_.data(), m_, c.n_kv_heads, c.head_dim, positions_, model_.rope_freqs(), c.rope_style);

    AttentionArgs a;
    a.q = q_.data();
    a.n_q = m_;
    a.n_heads = c.n_heads;
    a.n_kv_heads = c.n_kv_heads;
    a.head_dim = c.head_dim;
    a.past = prompt;
    a.k = k_.data();
    a.v = v_.data();
    a.n_cur = m_;
    a.q_offset = 0;
    a.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    a.out = attn_.data();
    be.attention(a);
    project(LoraTarget::O, attn_.data(), proj_.data());
    be.add(hidden_.data(), proj_.data(), m_ * c.dim);

    // The feed-forward block with LoRA on gate, up and down.
    be.rmsnorm(hidden_.data(), w.ffn_norm, m_, c.dim, c.rms_eps, normed_.data());
    project(LoraTarget::Gate, normed_.data(), gate_.data());
    project(LoraTarget::Up, normed_.data(), up_.data());
    be.swiglu(gate_.data(), up_.data(), m_ * c.ffn_dim, gate_.data());
    project(LoraTarget::Down, gate_.data(), proj_.data());
    be.add(hidden_.data(), proj_.data(), m_ * c.dim);
    ++next_layer_;
}

}  // namespace engine
