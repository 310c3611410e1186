#pragma once
// Typed views of a model's weights inside the memory-mapped GGUF file. Nothing here owns
// or copies a weight matrix; the views are valid while the GgufFile they point into lives.

#include "engine/model/model_config.h"
#include "engine/quant/ggml_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

class GgufFile;

// A weight matrix of `rows` rows of `cols` elements each, stored row after row in `type`.
// A GGUF shape [cols, rows] (ne[0] first) maps to this; y = W x has `rows` outputs.
struct WeightMatrix {
    const uint8_t* data = nullptr;
    GgmlType type = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * ggml_row_size(type, cols); }
};

// A 1-D F32 weight (norm scales, biases), held as a pointer into the file.
struct WeightVector {
    const float* data = nullptr;
    int64_t size = 0;
};

// The seven projections of a layer, in the order adapters and hooks name them.
enum class Projection { Q = 0, K, V, O, Gate, Up, Down };

struct LayerWeights {
    WeightVector attn_norm;                  // [dim]
    WeightMatrix wq;                         // [n_heads*head_dim rows][dim]
    WeightMatrix wk;                         // [n_kv_heads*head_dim][dim]
    WeightMatrix wv;                         // [n_kv_heads*head_dim][dim]
    WeightVector bq, bk, bv;                 // qwen2 only
    WeightVector q_norm, k_norm;             // qwen3 only: [head_dim], shared by all heads
    WeightMatrix wo;                         // [dim][n_heads*head_dim]
    WeightVector ffn_norm;                   // [dim]
    WeightMatrix w_gate;                     // [ffn_dim][dim]
    WeightMatrix w_up;                       // [ffn_dim][dim]
    WeightMatrix w_down;                     // [dim][ffn_dim]
};

struct ModelWeights {
    WeightMatrix token_embd;                 // [vocab][dim]
    WeightVector output_norm;                // [dim]
    WeightMatrix output;                     // [vocab][dim]; token_embd when tied
    bool tied_output = false;
    std::vector<float> rope_freq_factors;    // from rope_freqs.weight (small), or empty
    std::vector<LayerWeights> layers;
};

// Finds and checks every tensor the config needs. Throws engine::Error naming the tensor
// and the expected and found shape or type for anything missing or mis-shaped.
ModelWeights load_model_weights(const GgufFile& file, const ModelConfig& config);

}  // namespace engine
