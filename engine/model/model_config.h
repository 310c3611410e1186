#pragma once
// The hyper-parameters of a transformer, read from the `<arch>.*` keys of a GGUF file.

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

class GgufFile;

enum class Architecture { Llama, Qwen2, Qwen3 };

// Which dimensions RoPE rotates together: Normal pairs (2i, 2i+1) as llama.cpp does for
// `llama` (its converter permutes Q/K for that), Neox pairs (i, i + d/2) for qwen2/qwen3.
enum class RopeStyle { Normal, Neox };

enum class RopeScaling { None, Linear, Llama3 };

struct ModelConfig {
    Architecture arch = Architecture::Llama;
    std::string arch_name;
    int64_t n_layers = 0;
    int64_t dim = 0;           // embedding_length
    int64_t ffn_dim = 0;       // feed_forward_length
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;      // key_length == value_length
    int64_t rope_dim = 0;      // rope.dimension_count (<= head_dim)
    int64_t vocab_size = 0;
    int64_t context_length = 0;
    float rms_eps = 1e-5f;
    float rope_base = 10000.0f;
    RopeStyle rope_style = RopeStyle::Normal;
    RopeScaling rope_scaling = RopeScaling::None;
    float rope_scale_factor = 1.0f;
    int64_t rope_original_context = 0;
    float rope_low_freq_factor = 1.0f;
    float rope_high_freq_factor = 4.0f;
    bool qkv_bias = false;     // qwen2
    bool qk_norm = false;      // qwen3

    int64_t q_dim() const { return n_heads * head_dim; }
    int64_t kv_dim() const { return n_kv_heads * head_dim; }
};

// Reads and checks the hyper-parameters. Throws engine::Error naming the file and key for
// an unsupported architecture or a missing or inconsistent value.
ModelConfig read_model_config(const GgufFile& file);

std::string architecture_name(Architecture arch);

// Per rotated pair i (rope_dim / 2 of them): the angle per position, theta_i =
// base^(-2i/rope_dim), with linear or Llama-3 frequency scaling applied. `freq_factors`
// (from a `rope_freqs.weight` tensor, may be empty) divides each frequency, as Llama 3.1
// GGUFs store their scaling; then metadata scaling is not applied a second time.
std::vector<float> rope_frequencies(const ModelConfig& config, const std::vector<float>& freq_factors);

}  // namespace engine
