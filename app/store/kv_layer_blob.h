#pragma once
// One layer of a KV snapshot segment as bytes: for every KV head in order, the number of
// entries n (u32), then n positions (i32), n rows of K and n rows of V at the cache's own
// element type (kv_format: f32, f16 or q8_0 rows, kv_rows.h), little-endian as the machine
// stores them. A segment holds only the entries appended since the previous segment, so
// stored bytes are never rewritten.

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
