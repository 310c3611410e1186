#pragma once
// The full K/V cache of a training sample's prompt, kept beside the sample so that the
// trainer reads it instead of prefilling the prompt again at every visit (the prefill is
// most of a training step). It is derived data: a missing, stale or damaged file is simply
// made again from the prompt. It is usually kept at a narrower type than the engine's f32
// (f16 by default: half the bytes, and what a session's cache keeps by default); the trainer
// then trains on the keys and values rounded to that type, whether it read them or prefilled.

#include "engine/session/compressed_cache.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

namespace engine {
class Model;
}

namespace engine::lookahead {

// `--prompt-cache`'s names: "f32", "f16" or "q8_0", or "none" (nothing: caches are not
// written). Throws engine::Error naming the choices for any other name.
std::optional<GgmlType> parse_prompt_cache_type(std::string_view name);

// sample-000001.gguf -> sample-000001.kv
std::filesystem::path prompt_cache_path(const std::filesystem::path& sample_path);

// Writes cache.serialize(), at the cache's own type, atomically (temporary file, then
// rename). Throws engine::Error naming the file when it cannot be written (a full disk
// included).
void save_prompt_cache(const CompressedCache& cache, const std::filesystem::path& path);

// The cache in `path`, as f32, if it holds exactly `prompt`, every token in every head, for
// `model`; nothing when the file is missing, made for another model or prompt, or damaged.
std::optional<CompressedCache> load_prompt_cache(const std::filesystem::path& path, const Model& model,
                                                 std::span<const int32_t> prompt);

}  // namespace engine::lookahead
