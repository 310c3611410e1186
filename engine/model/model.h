#pragma once
// A loaded model: the memory-mapped GGUF file, its hyper-parameters, typed views of its
// weights and a fingerprint that names this exact model (for cache snapshots).

#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

namespace engine {

class Model {
public:
    // Maps, parses and checks a model file. Throws engine::Error on any problem.
    static std::shared_ptr<const Model> open(const std::filesystem::path& path);
    // Takes an already-parsed file (tests build models in memory with GgufWriter).
    static std::shared_ptr<const Model> from_file(GgufFile file);

    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const GgufFile& file() const { return *file_; }
    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    // Angle per position of each rotated pair, scaling included (see rope_frequencies).
    const std::vector<float>& rope_freqs() const { return rope_freqs_; }
    // Token ids that end a turn (end_of_turn.h), sorted.
    const std::vector<int32_t>& end_tokens() const { return end_tokens_; }
    bool ends_turn(int32_t token) const { return std::binary_search(end_tokens_.begin(), end_tokens_.end(), token); }
    // A hash of the metadata, tensor table and a sample of every tensor's bytes.
    uint64_t fingerprint() const { return fingerprint_; }

private:
    explicit Model(GgufFile file);

    std::unique_ptr<GgufFile> file_;
    ModelConfig config_;
    ModelWeights weights_;
    std::vector<float> rope_freqs_;
    std::vector<int32_t> end_tokens_;
    uint64_t fingerprint_ = 0;
};

}  // namespace engine
