#pragma once
// The lookahead rows through the whole model, and the training loss with its gradient:
// loss = mean over layers and KV heads of KL(target || predicted prompt scores).
//
// Typical training step:
//   auto dense = lookahead::dequantize_layers(model);                  // once
//   auto kv = lookahead::prompt_kv_of(session.cache());                // full prompt cache
//   auto grads = params.zeros_like();
//   double loss = lookahead::loss_and_gradients(model, dense, params, kv, n_prompt, targets, grads);

#include "engine/backend.h"
#include "engine/lookahead/lookahead_layer.h"
#include "engine/lookahead/lookahead_parameters.h"

#include <cstdint>
#include <span>
#include <vector>

namespace engine {
class CompressedCache;
class Model;
}

namespace engine::lookahead {

// [layer * n_kv_heads + kv_head] views of every cached key and value; the cache must hold
// every prompt token of every head (a full, uncompressed prefill).
std::vector<KvSpan> prompt_kv_of(const CompressedCache& cache);

struct LookaheadPass {
    std::vector<LayerTape> layers;
};

// Runs the lookahead embeddings through every layer at positions first_position.. .
// prompt_kv as prompt_kv_of gives.
LookaheadPass lookahead_forward(const Model& model, const std::vector<DenseLayer>& dense,
                                const LookaheadParameters& params, std::span<const KvSpan> prompt_kv,
                                int64_t first_position);

// Per layer, the predicted distributions [n_kv_heads][n_prompt] of a pass.
std::vector<std::vector<double>> lookahead_scores(const Model& model, const LookaheadPass& pass,
                                                  std::span<const KvSpan> prompt_kv);

// targets[layer] is [n_kv_heads][n_prompt], each head a distribution. Returns the loss and
// adds its gradient into grads (embeddings and LoRA).
double loss_and_gradients(const Model& model, const std::vector<DenseLayer>& dense, const LookaheadParameters& params,
                          std::span<const KvSpan> prompt_kv, int64_t first_position,
                          const std::vector<std::vector<double>>& targets, LookaheadParameters& grads);

}  // namespace engine::lookahead
