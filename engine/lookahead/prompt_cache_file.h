#pragma once
// The full K/V cache of a training sample's prompt, kept beside the sample so that the
// trainer reads it instead of prefilling the prompt again at every visit (the prefill is
// most of a training step). It is derived data: a missing, stale or damaged file is simply
// made again from the prompt, giving the same bytes the engine computes.

#include "engine/session/compressed_cache.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

namespace engine {
class Model;
}

namespace engine::lookahead {

// sample-000001.gguf -> sample-000001.kv
std::filesystem::path prompt_cache_path(const std::filesystem::path& sample_path);

// Writes cache.serialize() atomically (temporary file, then rename). Throws engine::Error
// naming the file when it cannot be written (a full disk included).
void save_prompt_cache(const CompressedCache& cache, const std::filesystem::path& path);

// The cache in `path` if it holds exactly `prompt`, every token in every head, for `model`;
// nothing when the file is missing, made for another model or prompt, or damaged.
std::optional<CompressedCache> load_prompt_cache(const std::filesystem::path& path, const Model& model,
                                                 std::span<const int32_t> prompt);

}  // namespace engine::lookahead
