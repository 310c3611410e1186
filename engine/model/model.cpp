#include "engine/model/model.h"

#include "engine/model/end_of_turn.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace engine {
namespace {

class Fnv1a {
public:
    void bytes(const void* data, size_t n) {
        const auto* p = static_cast<const uint8_t*>(data);
        for (size_t i = 0; i < n; ++i) hash_ = (hash_ ^ p[i]) * 0x100000001b3ull;
    }
    void text(const std::string& s) { bytes(s.data(), s.size()); bytes("\0", 1); }
    void number(uint64_t v) { bytes(&v, sizeof v); }
    uint64_t value() const { return hash_; }

private:
    uint64_t hash_ = 0xcbf29ce484222325ull;
};

// Hashing every byte of a multi-gigabyte model would make opening slow; the metadata,
// the tensor table and the first and last bytes of each tensor tell models apart.
uint64_t model_fingerprint(const GgufFile& file) {
    Fnv1a h;
    h.number(file.file_size());
    for (const auto& [key, value] : file.metadata()) {
        h.text(key);
        h.text(value.to_display_string(16));
    }
    for (const auto& t : file.tensors()) {
        h.text(t.name);
        h.number(static_cast<uint64_t>(t.type));
        for (int64_t d : t.shape) h.number(static_cast<uint64_t>(d));
        const size_t sample = std::min<uint64_t>(t.size_bytes, 256);
        h.bytes(t.data, sample);
        h.bytes(t.data + t.size_bytes - sample, sample);
    }
    return h.value();
}

}  // namespace

Model::Model(GgufFile file) : file_(std::make_unique<GgufFile>(std::move(file))) {
    config_ = read_model_config(*file_);
    weights_ = load_model_weights(*file_, config_);
    rope_freqs_ = rope_frequencies(config_, weights_.rope_freq_factors);
    end_tokens_ = end_of_turn_tokens(*file_, config_.vocab_size);
    fingerprint_ = model_fingerprint(*file_);
}

std::shared_ptr<const Model> Model::open(const std::filesystem::path& path) {
    return std::shared_ptr<const Model>(new Model(GgufFile::open(path)));
}

std::shared_ptr<const Model> Model::from_file(GgufFile file) {
    return std::shared_ptr<const Model>(new Model(std::move(file)));
}

}  // namespace engine
