#include "engine/lookahead/lookahead_layer.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_ops.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace engine::lookahead {
namespace {

const float* bias_of(const LayerInputs& in, LoraTarget t) {
    if (!in.config->qkv_bias) return nullptr;
    const LayerWeights& w = *in.weights->base;
    if (t == LoraTarget::Q) return w.bq.data;
    if (t == LoraTarget::K) return w.bk.data;
    if (t == LoraTarget::V) return w.bv.data;
    return nullptr;
}

LoraLinear projection(const LayerInputs& in, LoraTarget t) {
    const DenseMatrix& m = in.weights->matrices[lora_index(t)];
    const LoraParameters& p = (*in.lora)[lora_index(t)];
    LoraLinear l;
    l.w = m.w.data();
    l.bias = bias_of(in, t);
    l.in = m.cols;
    l.out = m.rows;
    if (!p.a.empty()) {
        if (static_cast<int64_t>(p.a.size()) != in.rank * m.cols || static_cast<int64_t>(p.b.size()) != m.rows * in.rank)
            throw Error("LoRA " + std::string(lora_target_name(t)) + " does not fit the layer's " +
                        std::to_string(m.rows) + " x " + std::to_string(m.cols) + " projection at rank " +
                        std::to_string(in.rank));
        l.a = p.a.data();
        l.b = p.b.data();
        l.rank = in.rank;
        l.scale = in.lora_scale;
    }
    return l;
}

void run_projection(const LayerInputs& in, LoraTarget t, const std::vector<double>& x, int64_t m, LayerTape& tape,
                    std::vector<double>& y) {
    const LoraLinear p = projection(in, t);
    y.assign(static_cast<size_t>(m * p.out), 0.0);
    tape.xa[lora_index(t)].assign(static_cast<size_t>(m * p.rank), 0.0);
    linear_forward(p, x.data(), m, tape.xa[lora_index(t)].data(), y.data());
}

void projection_backward(const LayerInputs& in, LoraTarget t, const LayerTape& tape, const std::vector<double>& x,
                         const std::vector<double>& dy, LayerLora& grads, std::vector<double>& dx) {
    const LoraLinear p = projection(in, t);
    LoraParameters& g = grads[lora_index(t)];
    if (p.a && (g.a.size() != (*in.lora)[lora_index(t)].a.size() || g.b.size() != (*in.lora)[lora_index(t)].b.size()))
        throw Error("LoRA gradient buffers for " + std::string(lora_target_name(t)) + " have the wrong size");
    linear_backward(p, x.data(), tape.xa[lora_index(t)].data(), dy.data(), tape.m, dx.data(),
                    p.a ? g.a.data() : nullptr, p.a ? g.b.data() : nullptr);
}

AttentionShape attention_shape(const ModelConfig& c, int64_t m) {
    return {m, c.n_heads, c.n_kv_heads, c.head_dim, 1.0 / std::sqrt(static_cast<double>(c.head_dim))};
}

}  // namespace

DenseLayer dequantize_layer(const Model& model, int64_t layer) {
    const ModelConfig& c = model.config();
    if (layer < 0 || layer >= c.n_layers) throw Error("layer " + std::to_string(layer) + " is out of range");
    DenseLayer d;
    d.base = &model.weights().layers[static_cast<size_t>(layer)];
    for (LoraTarget t : kAllLoraTargets) {
        const WeightMatrix& w = lora_base_weight(*d.base, t);
        DenseMatrix& m = d.matrices[lora_index(t)];
        m.rows = w.rows;
        m.cols = w.cols;
        m.w.resize(static_cast<size_t>(w.rows * w.cols));
        for (int64_t r = 0; r < w.rows; ++r) dequantize_row(w.type, w.row(r), m.w.data() + r * w.cols, w.cols);
    }
    return d;
}

std::vector<DenseLayer> dequantize_layers(const Model& model) {
    std::vector<DenseLayer> layers;
    for (int64_t l = 0; l < model.config().n_layers; ++l) layers.push_back(dequantize_layer(model, l));
    return layers;
}

void layer_forward(const LayerInputs& in, const double* h_in, int64_t m, LayerTape& tape) {
    const ModelConfig& c = *in.config;
    const LayerWeights& w = *in.weights->base;
    const double eps = c.rms_eps;
    tape.m = m;
    tape.h_in.assign(h_in, h_in + m * c.dim);
    tape.x1.assign(static_cast<size_t>(m * c.dim), 0.0);
    rmsnorm_forward(h_in, w.attn_norm.data, m, c.dim, eps, tape.x1.data());

    run_projection(in, LoraTarget::Q, tape.x1, m, tape, tape.q_lin);
    run_projection(in, LoraTarget::K, tape.x1, m, tape, tape.k_lin);
    run_projection(in, LoraTarget::V, tape.x1, m, tape, tape.v);
    tape.q = tape.q_lin;
    tape.k = tape.k_lin;
    if (c.qk_norm) {
        rmsnorm_forward(tape.q_lin.data(), w.q_norm.data, m * c.n_heads, c.head_dim, eps, tape.q.data());
        rmsnorm_forward(tape.k_lin.data(), w.k_norm.data, m * c.n_kv_heads, c.head_dim, eps, tape.k.data());
    }
    rope_forward(tape.q.data(), m, c.n_heads, c.head_dim, in.first_position, in.rope_freqs, c.rope_style);
    rope_forward(tape.k.data(), m, c.n_kv_heads, c.head_dim, in.first_position, in.rope_freqs, c.rope_style);

    const AttentionShape s = attention_shape(c, m);
    const int64_t n_p = prompt_length(in.prompt, c.n_kv_heads);
    tape.probs.assign(static_cast<size_t>(c.n_heads * m * probs_width(s, n_p)), 0.0);
    tape.attn.assign(static_cast<size_t>(m * c.q_dim()), 0.0);
    attention_forward(s, tape.q.data(), in.prompt, tape.k.data(), tape.v.data(), tape.probs.data(), tape.attn.data());

    std::vector<double> proj;
    run_projection(in, LoraTarget::O, tape.attn, m, tape, proj);
    tape.h_mid = tape.h_in;
    add_forward(tape.h_mid.data(), proj.data(), m * c.dim);

    tape.x2.assign(static_cast<size_t>(m * c.dim), 0.0);
    rmsnorm_forward(tape.h_mid.data(), w.ffn_norm.data, m, c.dim, eps, tape.x2.data());
    run_projection(in, LoraTarget::Gate, tape.x2, m, tape, tape.gate);
    run_projection(in, LoraTarget::Up, tape.x2, m, tape, tape.up);
    tape.act.assign(static_cast<size_t>(m * c.ffn_dim), 0.0);
    swiglu_forward(tape.gate.data(), tape.up.data(), m * c.ffn_dim, tape.act.data());
    run_projection(in, LoraTarget::Down, tape.act, m, tape, proj);
    tape.h_out = tape.h_mid;
    add_forward(tape.h_out.data(), proj.data(), m * c.dim);
}

void layer_backward(const LayerInputs& in, const LayerTape& tape, const double* dh_out, const double* dq_extra,
                    const double* dk_extra, LayerLora& grads, double* dh_in) {
    const ModelConfig& c = *in.config;
    const LayerWeights& w = *in.weights->base;
    const int64_t m = tape.m;
    const double eps = c.rms_eps;
    auto zeros = [](int64_t n) { return std::vector<double>(static_cast<size_t>(n), 0.0); };

    // Feed-forward block: the residual passes dh_out straight to h_mid.
    std::vector<double> dh_mid(dh_out, dh_out + m * c.dim);
    const std::vector<double> dproj(dh_out, dh_out + m * c.dim);
    auto dact = zeros(m * c.ffn_dim);
    projection_backward(in, LoraTarget::Down, tape, tape.act, dproj, grads, dact);
    auto dgate = zeros(m * c.ffn_dim), dup = zeros(m * c.ffn_dim);
    swiglu_backward(tape.gate.data(), tape.up.data(), dact.data(), m * c.ffn_dim, dgate.data(), dup.data());
    auto dx2 = zeros(m * c.dim);
    projection_backward(in, LoraTarget::Gate, tape, tape.x2, dgate, grads, dx2);
    projection_backward(in, LoraTarget::Up, tape, tape.x2, dup, grads, dx2);
    rmsnorm_backward(tape.h_mid.data(), w.ffn_norm.data, m, c.dim, eps, dx2.data(), dh_mid.data());

    // Attention block.
    std::copy(dh_mid.begin(), dh_mid.end(), dh_in);
    auto dattn = zeros(m * c.q_dim());
    projection_backward(in, LoraTarget::O, tape, tape.attn, dh_mid, grads, dattn);
    auto dq = zeros(m * c.q_dim()), dk = zeros(m * c.kv_dim()), dv = zeros(m * c.kv_dim());
    attention_backward(attention_shape(c, m), tape.q.data(), in.prompt, tape.k.data(), tape.v.data(),
                       tape.probs.data(), dattn.data(), dq.data(), dk.data(), dv.data());
    if (dq_extra) add_forward(dq.data(), dq_extra, m * c.q_dim());
    if (dk_extra) add_forward(dk.data(), dk_extra, m * c.kv_dim());
    rope_backward(dq.data(), m, c.n_heads, c.head_dim, in.first_position, in.rope_freqs, c.rope_style);
    rope_backward(dk.data(), m, c.n_kv_heads, c.head_dim, in.first_position, in.rope_freqs, c.rope_style);
    if (c.qk_norm) {
        auto dq_lin = zeros(m * c.q_dim()), dk_lin = zeros(m * c.kv_dim());
        rmsnorm_backward(tape.q_lin.data(), w.q_norm.data, m * c.n_heads, c.head_dim, eps, dq.data(), dq_lin.data());
        rmsnorm_backward(tape.k_lin.data(), w.k_norm.data, m * c.n_kv_heads, c.head_dim, eps, dk.data(), dk_lin.data());
        dq.swap(dq_lin);
        dk.swap(dk_lin);
    }
    auto dx1 = zeros(m * c.dim);
    projection_backward(in, LoraTarget::Q, tape, tape.x1, dq, grads, dx1);
    projection_backward(in, LoraTarget::K, tape, tape.x1, dk, grads, dx1);
    projection_backward(in, LoraTarget::V, tape, tape.x1, dv, grads, dx1);
    rmsnorm_backward(tape.h_in.data(), w.attn_norm.data, m, c.dim, eps, dx1.data(), dh_in);
}

}  // namespace engine::lookahead
