#pragma once
// Tiny random transformers written as GGUF images, for checking the engine against the
// reference forward pass. Every weight is drawn fresh from the given seed.

#include "engine/quant/ggml_type.h"

#include <cstdint>
#include <string>
#include <vector>

namespace reference {

struct TinySpec {
    std::string arch = "llama";      // llama, qwen2 or qwen3
    int64_t n_layers = 2;
    int64_t dim = 64;
    int64_t ffn_dim = 96;
    int64_t n_heads = 4;
    int64_t n_kv_heads = 2;
    int64_t head_dim = 16;           // qwen3 may differ from dim / n_heads
    int64_t vocab = 97;
    double rms_eps = 1e-5;
    double rope_base = 10000.0;
    bool tied_output = false;
    // Llama 3 rope scaling, written as metadata (factor, original context, low/high factors).
    bool llama3_scaling = false;
    double scale_factor = 8.0;
    int64_t original_context = 64;
    double low_freq_factor = 1.0;
    double high_freq_factor = 4.0;
    // The same scaling stored the way Llama 3.1 GGUFs do: a rope_freqs.weight tensor.
    bool rope_freqs_tensor = false;
    engine::GgmlType matrix_type = engine::GgmlType::F32;   // for the 2-D weights
    engine::GgmlType embedding_type = engine::GgmlType::F32;
    int32_t eos_token = 3;
    // For error tests: a tensor to leave out, and one to write with an extra row.
    std::string omit_tensor;
    std::string misshape_tensor;

    bool neox() const { return arch != "llama"; }
    bool qkv_bias() const { return arch == "qwen2"; }
    bool qk_norm() const { return arch == "qwen3"; }
};

// A GGUF v3 image of a model with random weights (normal, scaled to keep activations O(1)).
std::vector<uint8_t> write_tiny_model(const TinySpec& spec, uint64_t seed);

// Per rotated pair, the rotation frequency of the spec, llama3 scaling included.
std::vector<double> reference_rope_frequencies(const TinySpec& spec);

}  // namespace reference
