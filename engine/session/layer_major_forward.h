#pragma once
// The transformer forward pass, layer-major: every new token passes through layer l (in
// chunks, against a K/V buffer holding that layer only) before any enters layer l + 1.
// After each layer a keep policy picks which tokens that layer keeps in the compressed
// cache. Decode is the same pass with one token and no policy.

#include "engine/backend.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"
#include "engine/session/keep_policy.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace engine {

// Called as work advances; done and total count token-layers (tokens times layers).
using ProgressCallback = std::function<void(int64_t done, int64_t total)>;

// Buffers the pass reuses between calls, apart from the weights.
struct ForwardScratch {
    std::vector<float> hidden;       // [n][dim], the residual stream of all new tokens
    std::vector<float> layer_k;      // [n][kv_dim], this layer only
    std::vector<float> layer_v;      // [n][kv_dim]
    std::vector<float> normed;       // [chunk][dim]
    std::vector<float> q;            // [chunk][q_dim]
    std::vector<float> attn;         // [chunk][q_dim]
    std::vector<float> proj;         // [chunk][dim]
    std::vector<float> gate;         // [chunk][ffn_dim]
    std::vector<float> up;           // [chunk][ffn_dim]
    std::vector<float> window_q;     // [window][q_dim]
    std::vector<float> key_attention;  // [n_heads][n]
    std::vector<int32_t> positions;  // [n]
};

struct ForwardRequest {
    std::span<const int32_t> tokens;
    int64_t chunk = 256;
    KeepPolicy* policy = nullptr;              // nullptr: keep every token
    const std::atomic<bool>* cancel = nullptr; // checked before every chunk of every layer
    const ProgressCallback* progress = nullptr;
    // When set ([layer * n_kv_heads + kv_head], grown to the cache's sizes): adds the
    // attention each cached entry receives from these tokens.
    std::vector<std::vector<float>>* cached_attention = nullptr;
    // When set: resized to n_layers, entry l gets layer l's queries of the new tokens,
    // [n][q_dim] after RoPE (two-pass prefills score a prompt with a draft's queries).
    std::vector<std::vector<float>>* queries = nullptr;
};

// Runs the tokens at positions cache.next_position()... through the model, appends what
// each layer keeps to `cache`, and writes the last token's logits ([vocab]). Returns false,
// leaving cache and logits as they were, when cancelled.
bool forward_tokens(const Model& model, Backend& backend, ForwardScratch& scratch, CompressedCache& cache,
                    const ForwardRequest& request, std::vector<float>& logits);

}  // namespace engine
