#pragma once
// One transformer layer for the lookahead rows only, forward (recording a tape) and
// backward. The prompt's K/V of the layer are fixed inputs; LoRA is applied to the rows
// passing through here and nowhere else.
//
//   x1 = rmsnorm(h)                      q, k, v = LoRA projections of x1 (+ bias, QK-norm)
//   q, k = rope(q, k) at first_position.. attn = attention(q -> [prompt ; lookahead causal])
//   h_mid = h + o(attn)                   x2 = rmsnorm(h_mid)
//   h_out = h_mid + down(silu(gate(x2)) * up(x2))

#include "engine/backend.h"
#include "engine/lookahead/lookahead_attention.h"
#include "engine/lookahead/lookahead_parameters.h"
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace engine {
class Model;
}

namespace engine::lookahead {

// A weight matrix dequantized to floats, [rows][cols].
struct DenseMatrix {
    std::vector<float> w;
    int64_t rows = 0;
    int64_t cols = 0;
};

// A layer's base weights: the seven matrices dequantized once (indexed by LoraTarget), the
// norm scales and biases read in place from the model.
struct DenseLayer {
    std::array<DenseMatrix, kLoraTargetCount> matrices;
    const LayerWeights* base = nullptr;
};

DenseLayer dequantize_layer(const Model& model, int64_t layer);
std::vector<DenseLayer> dequantize_layers(const Model& model);

// Everything a layer pass reads besides the hidden rows.
struct LayerInputs {
    const ModelConfig* config = nullptr;
    std::span<const float> rope_freqs;
    const DenseLayer* weights = nullptr;
    const LayerLora* lora = nullptr;
    int64_t rank = 0;
    double lora_scale = 1.0;
    std::span<const KvSpan> prompt;    // per KV head, this layer's prompt K (after RoPE) and V
    int64_t first_position = 0;        // position of lookahead row 0 (the prompt length)
};

// What the backward needs from the forward; all [m][width] row-major.
struct LayerTape {
    int64_t m = 0;
    std::vector<double> h_in, x1;
    std::array<std::vector<double>, kLoraTargetCount> xa;   // x A^T per adapted projection
    std::vector<double> q_lin, k_lin;   // projections before QK-norm and RoPE
    std::vector<double> q, k, v;        // q, k after RoPE: what attention and scoring use
    std::vector<double> probs, attn, h_mid, x2, gate, up, act, h_out;
};

void layer_forward(const LayerInputs& in, const double* h_in, int64_t m, LayerTape& tape);

// Given the gradient of h_out and extra gradients on the rotated q and k (from the scoring
// head; either may be nullptr), adds the LoRA gradients into lora_grads and writes dh_in.
void layer_backward(const LayerInputs& in, const LayerTape& tape, const double* dh_out, const double* dq_extra,
                    const double* dk_extra, LayerLora& lora_grads, double* dh_in);

}  // namespace engine::lookahead
