#include "engine/eviction/kv_footprint.h"

#include <cstdio>

namespace engine {

KvFootprint kv_footprint(const CompressedCache& cache) {
    KvFootprint f;
    f.kept_bytes = cache.kv_bytes();
    f.full_bytes = cache.next_position() * cache.n_layers() * cache.n_kv_heads() * 2 *
                   kv_row_bytes(cache.kv_type(), cache.head_dim());
    f.kv_type = cache.kv_type();
    return f;
}

std::string KvFootprint::summary() const {
    constexpr double mib = 1024.0 * 1024.0;
    char text[112];
    std::snprintf(text, sizeof text, "kept %.1f MiB of %.1f MiB (%.1f%%), %s", static_cast<double>(kept_bytes) / mib,
                  static_cast<double>(full_bytes) / mib, 100.0 * kept_fraction(), kv_type_name(kv_type).c_str());
    return text;
}

}  // namespace engine
