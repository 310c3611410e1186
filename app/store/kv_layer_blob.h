#pragma once
// One layer of a KV snapshot segment as bytes: for every KV head in order, the number of
// entries n (u32), then n positions (i32), n x head_dim K and n x head_dim V (f32, the
// cache's own precision), little-endian as the machine stores them. A segment holds only
// the entries appended since the previous segment, so stored bytes are never rewritten.

#include "engine/session/compressed_cache.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace glimpse::store {

// The entries of `layer` from `from[head]` on, for every head.
std::vector<uint8_t> encode_kv_layer(const engine::CompressedCache& cache, int64_t layer,
                                     std::span<const int64_t> from);

// Appends a blob's entries to `layer` of `cache`. Throws engine::Error (BadFile) naming
// `what` when the bytes do not fit the cache's shape.
void decode_kv_layer(std::span<const uint8_t> blob, engine::CompressedCache& cache, int64_t layer,
                     const std::string& what);

// FNV-1a, 64 bits: the checksum stored beside each blob.
uint64_t fnv1a64(std::span<const uint8_t> bytes);

}  // namespace glimpse::store
