#include "engine/session/position_compaction.h"

#include <algorithm>
#include <cmath>

namespace engine {

void rerotate_key(float* key, int64_t delta, std::span<const float> rope_freqs, RopeStyle style) {
    if (delta == 0) return;
    const auto pairs = static_cast<int64_t>(rope_freqs.size());
    for (int64_t i = 0; i < pairs; ++i) {
        const double angle = static_cast<double>(delta) * rope_freqs[static_cast<size_t>(i)];
        const double c = std::cos(angle), s = std::sin(angle);
        const int64_t a = style == RopeStyle::Normal ? 2 * i : i;
        const int64_t b = style == RopeStyle::Normal ? 2 * i + 1 : i + pairs;
        const double x0 = key[a], x1 = key[b];
        key[a] = static_cast<float>(x0 * c - x1 * s);
        key[b] = static_cast<float>(x0 * s + x1 * c);
    }
}

void compact_positions(CompressedCache& cache, std::span<const float> rope_freqs, RopeStyle style) {
    std::vector<float> key(static_cast<size_t>(cache.head_dim()));
    int64_t longest = 0;
    for (int64_t l = 0; l < cache.n_layers(); ++l)
        for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
            KvHeadCache& hc = cache.head(l, h);
            for (int64_t e = 0; e < hc.size(); ++e) {
                int32_t& position = hc.positions[static_cast<size_t>(e)];
                if (e != position) {
                    hc.k.decode(e, 1, key.data());
                    rerotate_key(key.data(), e - position, rope_freqs, style);
                    hc.k.set(e, key.data());
                }
                position = static_cast<int32_t>(e);
            }
            longest = std::max(longest, hc.size());
        }
    cache.set_position_shift(cache.next_position() - longest);
}

}  // namespace engine
