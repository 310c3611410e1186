#pragma once
// Whole-file writes that never leave a half-written file under the final name.

#include <cstdint>
#include <filesystem>
#include <span>

namespace engine {

// Writes `bytes` to `path`.partial, then renames it over `path`. Throws engine::Error
// naming the file when it cannot be created, written (a full disk) or moved into place;
// the partial file is removed and an existing `path` is left as it was.
void write_file_atomically(const std::filesystem::path& path, std::span<const uint8_t> bytes);

}  // namespace engine
