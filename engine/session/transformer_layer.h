#pragma once
// One transformer layer over a block of rows, in float on a backend: the one place the
// layer's equations are written for inference. The prefill runs prompt chunks through it;
// LookaheadKV's rows run through it with their LoRA as a projection hook. (The
// double-precision training pass in engine/lookahead/lookahead_layer.h is its reference.)

#include "engine/backend.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <functional>
#include <span>

namespace engine {

class Model;

// Adds to a projection's output rows y = W x (LookaheadKV's LoRA on its own rows).
using ProjectionHook = std::function<void(Projection projection, const float* x, float* y)>;

// The rows passing through the layer, and the scratch they need (all row-major).
struct LayerRows {
    float* x = nullptr;                     // [m][dim], the residual stream, updated in place
    int64_t m = 0;
    std::span<const int32_t> positions;     // [m]
    float* k = nullptr;                     // [m][kv_dim]: receives the rows' keys after RoPE
    float* v = nullptr;                     // [m][kv_dim]: receives the rows' values
    float* q = nullptr;                     // [m][q_dim]: holds the rows' queries after RoPE on return
    float* normed = nullptr;                // [m][max(dim, q_dim)]
    float* attn = nullptr;                  // [m][q_dim]
    float* proj = nullptr;                  // [m][dim]
    float* gate = nullptr;                  // [m][ffn_dim]
    float* up = nullptr;                    // [m][ffn_dim]
};

// What the rows attend to: every past entry, and causally the current block of keys and
// values, where row i is current token q_offset + i (the block includes the rows' own k, v).
struct LayerContext {
    std::span<const KvSpan> past;
    const float* k = nullptr;               // [n_cur][kv_dim]
    const float* v = nullptr;
    int64_t n_cur = 0;
    int64_t q_offset = 0;
    // The rows' keys and values are rounded to what a cache of this type keeps, so they are
    // attended to and scored as the cache will hold them.
    GgmlType kv_type = GgmlType::F32;
    // Optional attention sums, as in AttentionArgs.
    float* key_attention = nullptr;
    int64_t key_attention_stride = 0;
    float* const* past_attention = nullptr;
    // When either is set, the queries of current tokens from `observed_from` on (SnapKV's
    // observation window) add their weights to these instead of the sums above (to
    // past_attention still when observed_past_attention is not set).
    int64_t observed_from = 0;
    float* observed_key_attention = nullptr;   // key_attention_stride apart, as key_attention
    float* const* observed_past_attention = nullptr;
};

//   x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n),      n = rmsnorm(x)
//   x += W_down · (silu(W_gate·n) * W_up·n),                 n = rmsnorm(x)
void transformer_layer(const Model& model, int64_t layer, Backend& backend, const LayerRows& rows,
                       const LayerContext& context, const ProjectionHook* hook = nullptr);

}  // namespace engine
