#pragma once
// A LookaheadKV adapter: n learned lookahead embeddings appended after the prompt, and LoRA
// matrices active only on those rows. Stored as a GGUF file (general.type = adapter) that
// names the exact base model it was trained for.
//
// Tensors (GGUF shapes, ne[0] first):
//   lookahead.embeddings    [dim, n_tokens]   row i is lookahead token i
//   blk.L.lora_T.a          [in, rank]        A: rank rows of `in` floats
//   blk.L.lora_T.b          [rank, out]       B: `out` rows of `rank` floats
// for every layer L and targeted projection T in q, k, v, o, gate, up, down.
// The adapted projection is y = W x + (alpha / rank) * B (A x).

#include "engine/lookahead/lora_target.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace engine {

class GgufFile;
class Model;

struct LookaheadOptions {
    int64_t n_tokens = 32;
    int64_t rank = 8;
    float alpha = 8.0f;
    std::vector<LoraTarget> targets{kAllLoraTargets.begin(), kAllLoraTargets.end()};
    // Scoring at inference: max-pool kernel over the sequence (odd), and how many of the
    // prompt's last tokens are always kept.
    int64_t pool_kernel = 7;
    int64_t recent_window = 0;
    bool operator==(const LookaheadOptions&) const = default;
};

// What the adapter was trained for; load() insists the model matches all of it.
struct LookaheadBase {
    uint64_t fingerprint = 0;
    std::string architecture;
    int64_t dim = 0;
    int64_t n_layers = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    int64_t ffn_dim = 0;

    static LookaheadBase of(const Model& model);
    bool operator==(const LookaheadBase&) const = default;
};

struct LoraMatrices {
    std::vector<float> a;   // [rank][in]
    std::vector<float> b;   // [out][rank]
    bool operator==(const LoraMatrices&) const = default;
};

struct LookaheadAdapter {
    LookaheadBase base;
    LookaheadOptions options;
    std::vector<float> embeddings;                                   // [n_tokens][dim]
    std::vector<std::array<LoraMatrices, kLoraTargetCount>> lora;    // [layer][target]; empty when not targeted

    bool targets(LoraTarget target) const;
    float lora_scale() const { return options.alpha / static_cast<float>(options.rank); }

    // A fresh adapter to train: each embedding a random direction with the mean norm of the
    // model's token embeddings, A uniform in +-1/sqrt(in) (as LoRA does), B zero so the
    // adapted projections start equal to the base ones. Throws for invalid options.
    static LookaheadAdapter initialize(const Model& model, const LookaheadOptions& options, uint64_t seed);

    std::vector<uint8_t> to_bytes() const;
    // Writes atomically (temporary file, then rename).
    void save(const std::filesystem::path& path) const;

    // Reads and checks an adapter against the model it is to run with: the fingerprint,
    // architecture and shapes, every option and every tensor. Throws engine::Error naming
    // the file and the problem (another model's adapter names both fingerprints).
    static LookaheadAdapter load(const std::filesystem::path& path, const Model& model);
    static LookaheadAdapter from_file(const GgufFile& file, const Model& model);

    bool operator==(const LookaheadAdapter&) const = default;
};

// The base-model fingerprint a LookaheadKV adapter file records, read from its metadata
// only (no tensors are checked). nullopt when the file is not a readable LookaheadKV adapter.
std::optional<uint64_t> adapter_base_fingerprint(const std::filesystem::path& path);

// The folders find_adapter_for searches, in order: the model's own, then `dirs`.
std::vector<std::filesystem::path> adapter_search_dirs(const std::filesystem::path& model_path,
                                                       const std::vector<std::filesystem::path>& dirs);

// The LookaheadKV adapter made for the model with `model_fingerprint`, found by the
// fingerprint each adapter records rather than by its name, so a renamed model keeps its
// adapter: `<model-stem>.lookahead.gguf` beside the model if it was made for this model,
// else the first `*.lookahead.gguf` (by name) made for it beside the model, then in each of
// `dirs`. nullopt when there is none.
std::optional<std::filesystem::path> find_adapter_for(const std::filesystem::path& model_path, uint64_t model_fingerprint,
                                                      const std::vector<std::filesystem::path>& dirs = {});

// The adapter file name for a model file: model.Q4_1.gguf -> model.Q4_1.lookahead.gguf.
std::string adapter_file_name(const std::filesystem::path& model_path);

}  // namespace engine
