#pragma once
// How much KV memory a compressed cache keeps against a full cache of the same tokens.

#include "engine/session/compressed_cache.h"

#include <cstdint>
#include <string>

namespace engine {

struct KvFootprint {
    int64_t kept_bytes = 0;   // K and V of the kept entries, as stored
    int64_t full_bytes = 0;   // every token the cache has read, in every layer and KV head, at the same type
    GgmlType kv_type = GgmlType::F32;
    double kept_fraction() const { return full_bytes > 0 ? static_cast<double>(kept_bytes) / full_bytes : 1.0; }
    // "kept 1.2 MiB of 9.6 MiB (12.5%), f16"
    std::string summary() const;
};

KvFootprint kv_footprint(const CompressedCache& cache);

}  // namespace engine
