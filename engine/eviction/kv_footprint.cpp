#include "engine/eviction/kv_footprint.h"

#include <cstdio>

namespace engine {

KvFootprint kv_footprint(const CompressedCache& cache) {
    KvFootprint f;
    f.kept_bytes = cache.kv_bytes();
    f.full_bytes = cache.next_position() * cache.n_layers() * cache.n_kv_heads() * cache.head_dim() * 2 *
                   static_cast<int64_t>(sizeof(float));
    return f;
}

std::string KvFootprint::summary() const {
    constexpr double mib = 1024.0 * 1024.0;
    char text[96];
    std::snprintf(text, sizeof text, "kept %.1f MiB of %.1f MiB (%.1f%%)", static_cast<double>(kept_bytes) / mib,
                  static_cast<double>(full_bytes) / mib, 100.0 * kept_fraction());
    return text;
}

}  // namespace engine
