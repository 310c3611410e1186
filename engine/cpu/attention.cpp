#include "engine/cpu/attention.h"

#include "engine/cpu/dot_kernels.h"
#include "engine/error.h"

#include <algorithm>
#include <cmath>

namespace engine::cpu {
namespace {

constexpr int64_t kQueryTile = 16;

struct HeadQuery {
    const AttentionArgs& a;
    FloatDot dot;
    float* scores;

    // Attention of query i for head h: writes the output row and, if asked, key weights.
    void run(int64_t h, int64_t i) const {
        const int64_t hd = a.head_dim;
        const int64_t kvh = h / (a.n_heads / a.n_kv_heads);
        const int64_t kv_stride = a.n_kv_heads * hd;
        const KvSpan past = a.past.empty() ? KvSpan{} : a.past[static_cast<size_t>(kvh)];
        const int64_t n_cur = a.q_offset + i + 1;
        const int64_t n = past.n + n_cur;
        const float* q = a.q + (i * a.n_heads + h) * hd;

        float max_score = -INFINITY;
        for (int64_t j = 0; j < past.n; ++j) {
            scores[j] = dot(q, past.k + j * past.stride, hd) * a.scale;
            max_score = std::max(max_score, scores[j]);
        }
        for (int64_t j = 0; j < n_cur; ++j) {
            float s = dot(q, a.k + j * kv_stride + kvh * hd, hd) * a.scale;
            scores[past.n + j] = s;
            max_score = std::max(max_score, s);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < n; ++j) {
            scores[j] = std::exp(scores[j] - max_score);
            sum += scores[j];
        }
        const float inv = 1.0f / sum;

        float* out = a.out + (i * a.n_heads + h) * hd;
        std::fill(out, out + hd, 0.0f);
        for (int64_t j = 0; j < n; ++j) {
            const float p = scores[j] * inv;
            const float* v = j < past.n ? past.v + j * past.stride : a.v + (j - past.n) * kv_stride + kvh * hd;
            for (int64_t d = 0; d < hd; ++d) out[d] += p * v[d];
        }
        if (a.key_attention) {
            float* acc = a.key_attention + h * a.key_attention_stride;
            for (int64_t j = 0; j < n_cur; ++j) acc[j] += scores[past.n + j] * inv;
        }
    }
};

}  // namespace

void attention(ThreadPool& pool, const AttentionArgs& a, std::vector<std::vector<float>>& scores) {
    if (a.n_q <= 0) return;
    if (a.n_kv_heads <= 0 || a.n_heads % a.n_kv_heads != 0)
        throw Error("attention: head count " + std::to_string(a.n_heads) + " is not a multiple of KV heads " +
                    std::to_string(a.n_kv_heads));
    if (!a.past.empty() && static_cast<int64_t>(a.past.size()) != a.n_kv_heads)
        throw Error("attention: cached spans for " + std::to_string(a.past.size()) + " KV heads, expected " +
                    std::to_string(a.n_kv_heads));
    if (a.q_offset + a.n_q > a.n_cur)
        throw Error("attention: queries reach past the current tokens");

    int64_t max_past = 0;
    for (const KvSpan& s : a.past) max_past = std::max(max_past, s.n);
    const size_t need = static_cast<size_t>(max_past + a.n_cur);
    scores.resize(static_cast<size_t>(pool.size()));
    for (auto& s : scores)
        if (s.size() < need) s.resize(need);

    const FloatDot dot = dot_kernels().f32;
    // With key weights summed per head, one task per head keeps those sums race-free.
    const int64_t tiles = a.key_attention ? 1 : (a.n_q + kQueryTile - 1) / kQueryTile;
    const int64_t tile_size = a.key_attention ? a.n_q : kQueryTile;
    pool.parallel_for(a.n_heads * tiles, [&](int64_t task, int thread) {
        const HeadQuery hq{a, dot, scores[static_cast<size_t>(thread)].data()};
        const int64_t h = task / tiles;
        const int64_t i0 = (task % tiles) * tile_size, i1 = std::min(a.n_q, i0 + tile_size);
        for (int64_t i = i0; i < i1; ++i) hq.run(h, i);
    });
}

}  // namespace engine::cpu
