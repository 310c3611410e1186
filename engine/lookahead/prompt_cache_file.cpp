#include "engine/lookahead/prompt_cache_file.h"

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/model/model.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace engine::lookahead {

std::optional<GgmlType> parse_prompt_cache_type(std::string_view name) {
    if (name == "none") return std::nullopt;
    try {
        return parse_kv_type(name);
    } catch (const Error&) {
        throw Error("unknown prompt cache type '" + std::string(name) + "': use f32, f16, q8_0 or none");
    }
}

std::filesystem::path prompt_cache_path(const std::filesystem::path& sample_path) {
    std::filesystem::path p = sample_path;
    return p.replace_extension(".kv");
}

void save_prompt_cache(const CompressedCache& cache, const std::filesystem::path& path) {
    write_file_atomically(path, cache.serialize());
}

std::optional<CompressedCache> load_prompt_cache(const std::filesystem::path& path, const Model& model,
                                                 std::span<const int32_t> prompt) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
        CompressedCache cache = CompressedCache::deserialize(bytes, model.fingerprint());
        const ModelConfig& c = model.config();
        if (cache.n_layers() != c.n_layers || cache.n_kv_heads() != c.n_kv_heads || cache.head_dim() != c.head_dim)
            return std::nullopt;
        if (!std::equal(cache.tokens().begin(), cache.tokens().end(), prompt.begin(), prompt.end())) return std::nullopt;
        for (int64_t l = 0; l < cache.n_layers(); ++l)
            for (int64_t h = 0; h < cache.n_kv_heads(); ++h)
                if (cache.head(l, h).size() != static_cast<int64_t>(prompt.size())) return std::nullopt;
        if (cache.kv_type() != GgmlType::F32) cache = cache.with_kv_type(GgmlType::F32);
        return cache;
    } catch (const Error&) {
        return std::nullopt;   // damaged or another model's: made again by the caller
    }
}

}  // namespace engine::lookahead
