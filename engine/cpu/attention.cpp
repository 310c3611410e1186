#include "engine/cpu/attention.h"

#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/row_decode.h"
#include "engine/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace engine::cpu {
namespace {

// Prefill runs tiles of kQueryTile queries of one head: each block of kKeyBlock keys (or
// values) is read from memory once for the whole tile and stays in L1 while every query of
// the tile uses it, instead of being streamed from L2/L3 once per query pair.
constexpr int64_t kQueryTile = 16;
// Decode (one query) runs one KV group per task, reading each block of kKeyBlock cached keys
// from memory once for all the group's query heads (it stays in L1 while they use it),
// instead of once per query head. The values are summed per head over the whole span, in
// the same order as the per-head path: decode stays bit-identical to it.
constexpr int64_t kGroupedQueries = 1;
constexpr int64_t kKeyBlock = 64;
// A long decode splits each KV group's keys into parts (each with its own softmax, merged
// after), so that more tasks than KV groups keep every thread busy: a model with 3 KV heads
// would leave one of 2 threads idle a third of the time. Parts of fewer keys than this are
// not worth the merge.
constexpr int64_t kMinPartKeys = 512;
constexpr int64_t kPartsPerThread = 4;

struct HeadQueries {
    const AttentionArgs& a;
    const DotKernels& kernels;
    float* scores;          // a row per query of a prefill tile (per head of the group for decode), `row` floats apart
    int64_t row;
    float* decoded;         // kKeyBlock rows of head_dim floats: a block of a typed cache
    const float* keys_t;    // prefill: each KV head's keys (cached, then current), transposed and
                            // scaled: element d of key j at keys_t[(kvh * head_dim + d) * key_row + j]
    int64_t key_row;
    float* task_sums = nullptr;   // prefill: this task's key weights (cached keys, then current ones),
                                  // added to a.past_attention and a.key_attention after the call

    // Softmax of one query's n scores in place, then the key weights asked for.
    void softmax(int64_t h, const KvSpan& past, int64_t kvh, float* s, int64_t n) const {
        const float inv = 1.0f / kernels.exp_terms(s, n).sum;
        for (int64_t j = 0; j < n; ++j) s[j] *= inv;
        if (task_sums) {
            kernels.axpy(1.0f, s, task_sums, n);
            return;
        }
        if (a.key_attention) {
            float* acc = a.key_attention + h * a.key_attention_stride;
            for (int64_t j = past.n; j < n; ++j) acc[j - past.n] += s[j];
        }
        if (a.past_attention) {
            float* acc = a.past_attention[kvh];
            for (int64_t j = 0; j < past.n; ++j) acc[j] += s[j];
        }
    }

    // Query i for every head of KV group kvh; `scores` has a row per head of the group.
    void run_group(int64_t kvh, int64_t i) const {
        const int64_t hd = a.head_dim, kv_stride = a.n_kv_heads * hd, group = a.n_heads / a.n_kv_heads;
        const KvSpan past = a.past.empty() ? KvSpan{} : a.past[static_cast<size_t>(kvh)];
        const int64_t seen = a.n_cur > 0 ? a.q_offset + i + 1 : 0;
        const int64_t n = past.n + seen, h0 = kvh * group;
        const float* q = a.q + (i * a.n_heads + h0) * hd;   // the group's heads are adjacent
        // Rows [first, first + count) of one block of K or V, `stride` floats apart, for every head.
        auto blocks = [&](const float* rows, int64_t stride, int64_t count, int64_t first, auto&& per_head) {
            for (int64_t j0 = 0; j0 < count; j0 += kKeyBlock)
                for (int64_t g = 0; g < group; ++g)
                    per_head(g, rows + j0 * stride, std::min(kKeyBlock, count - j0), first + j0);
        };
        auto dots = [&](int64_t stride) {
            return [&, stride](int64_t g, const float* k, int64_t count, int64_t at) {
                kernels.f32_dots(q + g * hd, k, stride, count, hd, scores + g * row + at);
            };
        };
        if (past.type == GgmlType::F32) blocks(past.k, past.stride, past.n, 0, dots(past.stride));
        else typed_scores(past, q, group);
        if (seen > 0) blocks(a.k + kvh * hd, kv_stride, seen, past.n, dots(kv_stride));
        for (int64_t g = 0; g < group; ++g) {
            float* s = scores + g * row;
            for (int64_t j = 0; j < n; ++j) s[j] *= a.scale;
            softmax(h0 + g, past, kvh, s, n);
            std::fill_n(a.out + (i * a.n_heads + h0 + g) * hd, hd, 0.0f);
        }
        if (past.type != GgmlType::F32) typed_values(past, a.out + (i * a.n_heads + h0) * hd, group);
        // Bit-identical to the per-head path: the same weighted sums, in the same order.
        for (int64_t g = 0; g < group; ++g) {
            const float* s = scores + g * row;
            float* out = a.out + (i * a.n_heads + h0 + g) * hd;
            if (past.type == GgmlType::F32) kernels.weighted_sum(s, past.v, past.stride, past.n, hd, out);
            if (seen > 0) kernels.weighted_sum(s + past.n, a.v + kvh * hd, kv_stride, seen, hd, out);
        }
    }

    // Decode, keys [c0, c1) of KV group kvh (cached keys, then the current ones) for every
    // head of the group: per head, the part's softmax max and sum of exponentials and its
    // weighted sum of values not yet divided by the sum, `hd + 2` floats in `part`.
    void run_group_part(int64_t kvh, int64_t c0, int64_t c1, float* part) const {
        const int64_t hd = a.head_dim, kv_stride = a.n_kv_heads * hd, group = a.n_heads / a.n_kv_heads;
        const KvSpan past = a.past.empty() ? KvSpan{} : a.past[static_cast<size_t>(kvh)];
        const float* q = a.q + kvh * group * hd;   // the one query; the group's heads are adjacent
        const int64_t past_end = std::min(c1, past.n);
        // Rows [j0, j0 + count) of K or V as floats: the cache's own, a decoded block, or current rows.
        auto rows = [&](bool keys, int64_t j0, int64_t count, int64_t& stride) -> const float* {
            if (j0 >= past.n) {
                stride = kv_stride;
                return (keys ? a.k : a.v) + kvh * hd + (j0 - past.n) * kv_stride;
            }
            if (past.type == GgmlType::F32) {
                stride = past.stride;
                return (keys ? past.k : past.v) + j0 * past.stride;
            }
            const uint8_t* typed = keys ? past.k_rows : past.v_rows;
            for (int64_t j = 0; j < count; ++j) decode_row_fast(past.type, typed + (j0 + j) * past.row_bytes, decoded + j * hd, hd);
            stride = hd;
            return decoded;
        };
        // Blocks never straddle the end of the cached keys.
        auto for_blocks = [&](auto&& body) {
            for (int64_t j0 = c0; j0 < c1;) {
                const int64_t count = std::min(kKeyBlock, (j0 < past_end ? past_end : c1) - j0);
                body(j0, count);
                j0 += count;
            }
        };
        for_blocks([&](int64_t j0, int64_t count) {
            int64_t stride = 0;
            const float* k = rows(true, j0, count, stride);
            for (int64_t g = 0; g < group; ++g) kernels.f32_dots(q + g * hd, k, stride, count, hd, scores + g * row + (j0 - c0));
        });
        const int64_t n = c1 - c0;
        for (int64_t g = 0; g < group; ++g) {
            float* s = scores + g * row;
            for (int64_t j = 0; j < n; ++j) s[j] *= a.scale;
            const ExpTerms terms = kernels.exp_terms(s, n);
            float* p = part + g * (hd + 2);
            p[0] = terms.max;
            p[1] = terms.sum;
            std::fill_n(p + 2, hd, 0.0f);
        }
        for_blocks([&](int64_t j0, int64_t count) {
            int64_t stride = 0;
            const float* v = rows(false, j0, count, stride);
            for (int64_t g = 0; g < group; ++g)
                kernels.weighted_sum(scores + g * row + (j0 - c0), v, stride, count, hd, part + g * (hd + 2) + 2);
        });
    }

    // Scores of the group's queries q (heads adjacent) against a typed cache: each block of
    // keys is decoded once into floats, for every head of the group to read from L1.
    void typed_scores(const KvSpan& past, const float* q, int64_t group) const {
        const int64_t hd = a.head_dim;
        for (int64_t j0 = 0; j0 < past.n; j0 += kKeyBlock) {
            const int64_t count = std::min(kKeyBlock, past.n - j0);
            for (int64_t j = 0; j < count; ++j)
                decode_row_fast(past.type, past.k_rows + (j0 + j) * past.row_bytes, decoded + j * hd, hd);
            for (int64_t g = 0; g < group; ++g) kernels.f32_dots(q + g * hd, decoded, hd, count, hd, scores + g * row + j0);
        }
    }

    // out[g] += weights of head g times each value row of a typed cache, a block decoded once.
    void typed_values(const KvSpan& past, float* out, int64_t group) const {
        const int64_t hd = a.head_dim;
        for (int64_t j0 = 0; j0 < past.n; j0 += kKeyBlock) {
            const int64_t count = std::min(kKeyBlock, past.n - j0);
            for (int64_t j = 0; j < count; ++j)
                decode_row_fast(past.type, past.v_rows + (j0 + j) * past.row_bytes, decoded + j * hd, hd);
            for (int64_t g = 0; g < group; ++g) kernels.weighted_sum(scores + g * row + j0, decoded, hd, count, hd, out + g * hd);
        }
    }

    // Queries [i0, i1) of head h (at most kQueryTile), a row of `scores` each: each block of
    // keys and of values is used by the whole tile while it is in L1.
    void run_tile(int64_t h, int64_t i0, int64_t i1) const {
        const int64_t hd = a.head_dim;
        const int64_t kvh = h / (a.n_heads / a.n_kv_heads);
        const int64_t kv_stride = a.n_kv_heads * hd;
        const KvSpan past = a.past.empty() ? KvSpan{} : a.past[static_cast<size_t>(kvh)];
        const float* v_cur = a.v + kvh * hd;
        // Current keys query i sees (none when there is no current block).
        auto seen = [&](int64_t i) { return a.n_cur > 0 ? a.q_offset + i + 1 : int64_t{0}; };
        auto query = [&](int64_t i) { return a.q + (i * a.n_heads + h) * hd; };
        auto scores_of = [&](int64_t i) { return scores + (i - i0) * row; };

        // Every query of the tile scores each block of keys; a query's scores past the keys it
        // sees (the causal part of the last blocks) are computed and never read.
        const int64_t n_keys = past.n + seen(i1 - 1);
        const float* kt = keys_t + kvh * hd * key_row;
        for (int64_t j0 = 0; j0 < n_keys; j0 += kKeyBlock)
            kernels.f32_scores_t(query(i0), a.n_heads * hd, i1 - i0, kt + j0, key_row, std::min(kKeyBlock, n_keys - j0), hd,
                                 scores_of(i0) + j0, row);

        for (int64_t i = i0; i < i1; ++i) {
            softmax(h, past, kvh, scores_of(i), past.n + seen(i));
            std::fill_n(a.out + (i * a.n_heads + h) * hd, hd, 0.0f);
        }
        auto out_of = [&](int64_t i) { return a.out + (i * a.n_heads + h) * hd; };
        for (int64_t j0 = 0; j0 < past.n; j0 += kKeyBlock) {
            const int64_t count = std::min(kKeyBlock, past.n - j0);
            for (int64_t i = i0; i < i1; ++i)
                kernels.weighted_sum(scores_of(i) + j0, past.v + j0 * past.stride, past.stride, count, hd, out_of(i));
        }
        for (int64_t j0 = 0; j0 < seen(i1 - 1); j0 += kKeyBlock) {
            for (int64_t i = i0; i < i1; ++i) {
                const int64_t count = std::min(kKeyBlock, seen(i) - j0);
                if (count > 0)
                    kernels.weighted_sum(scores_of(i) + past.n + j0, v_cur + j0 * kv_stride, kv_stride, count, hd, out_of(i));
            }
        }
    }
};

// A typed cache decoded once into `storage` as float spans, for many queries to share.
std::vector<KvSpan> decoded_spans(std::span<const KvSpan> past, int64_t head_dim, std::vector<float>& storage) {
    int64_t total = 0;
    for (const KvSpan& s : past) total += s.n;
    storage.resize(static_cast<size_t>(2 * total * head_dim));
    std::vector<KvSpan> spans;
    float* at = storage.data();
    for (const KvSpan& s : past) {
        if (s.type == GgmlType::F32) {
            spans.push_back(s);
            continue;
        }
        for (int64_t j = 0; j < s.n; ++j) {
            decode_row_fast(s.type, s.k_rows + j * s.row_bytes, at + j * head_dim, head_dim);
            decode_row_fast(s.type, s.v_rows + j * s.row_bytes, at + (s.n + j) * head_dim, head_dim);
        }
        spans.push_back(KvSpan{at, at + s.n * head_dim, s.n, head_dim});
        at += 2 * s.n * head_dim;
    }
    return spans;
}

}  // namespace

void attention(ThreadPool& pool, const AttentionArgs& a, AttentionScratch& scratch) {
    if (a.n_q <= 0) return;
    if (a.n_kv_heads <= 0 || a.n_heads % a.n_kv_heads != 0)
        throw Error("attention: head count " + std::to_string(a.n_heads) + " is not a multiple of KV heads " +
                    std::to_string(a.n_kv_heads));
    if (!a.past.empty() && static_cast<int64_t>(a.past.size()) != a.n_kv_heads)
        throw Error("attention: cached spans for " + std::to_string(a.past.size()) + " KV heads, expected " +
                    std::to_string(a.n_kv_heads));
    if (a.n_cur > 0 ? a.q_offset + a.n_q > a.n_cur : a.q_offset != 0)
        throw Error("attention: queries reach past the current tokens");

    const bool grouped = a.n_q <= kGroupedQueries;
    const bool typed = std::any_of(a.past.begin(), a.past.end(), [](const KvSpan& s) { return s.type != GgmlType::F32; });
    if (typed && !grouped) {
        // Many queries read every cached row: decoding each once costs less than per query.
        const std::vector<KvSpan> floats = decoded_spans(a.past, a.head_dim, scratch.decoded_past);
        AttentionArgs as_floats = a;
        as_floats.past = floats;
        attention(pool, as_floats, scratch);
        return;
    }

    const DotKernels& kernels = dot_kernels();
    int64_t max_past = 0;
    for (const KvSpan& s : a.past) max_past = std::max(max_past, s.n);
    const int64_t row = max_past + a.n_cur;
    // Rows of transposed keys an odd number of cache lines apart: a block of keys read down its
    // head_dim rows then spreads over every L1 set (a stride of a multiple of 4 KiB, as chunked
    // prefill makes, would put all of them in one set).
    const int64_t key_row = ((row + 15) / 16 | 1) * 16;
    const int64_t group = a.n_heads / a.n_kv_heads;
    const int64_t rows_needed = (grouped ? std::max<int64_t>(group, 2) : kQueryTile) * row;
    auto& scores = scratch.per_thread;
    scores.resize(static_cast<size_t>(pool.size()));
    for (auto& s : scores)
        if (s.size() < static_cast<size_t>(rows_needed + kKeyBlock * a.head_dim))
            s.resize(static_cast<size_t>(rows_needed + kKeyBlock * a.head_dim));
    auto thread_queries = [&](int thread) {
        float* own = scores[static_cast<size_t>(thread)].data();
        return HeadQueries{a, kernels, own, row, own + rows_needed, scratch.keys_t.data(), key_row, nullptr};
    };

    const bool summing = a.key_attention || a.past_attention;
    const int64_t seen = a.n_cur > 0 ? a.q_offset + 1 : 0;
    const int64_t parts = std::min((max_past + seen + kMinPartKeys - 1) / kMinPartKeys,
                                   (kPartsPerThread * pool.size() + a.n_kv_heads - 1) / a.n_kv_heads);
    if (grouped && a.n_q == 1 && !summing && parts > 1) {
        // Task (kvh, p) takes part p of group kvh's keys; then each head merges its parts.
        const int64_t hd = a.head_dim, part_floats = group * (hd + 2);
        auto& merged = scratch.decode_parts;
        merged.resize(static_cast<size_t>(a.n_kv_heads * parts * part_floats));
        auto bounds = [&](int64_t kvh, int64_t p) {
            const int64_t n = (a.past.empty() ? 0 : a.past[static_cast<size_t>(kvh)].n) + seen;
            return std::pair{n * p / parts, n * (p + 1) / parts};
        };
        pool.parallel_for(a.n_kv_heads * parts, [&](int64_t task, int thread) {
            const int64_t kvh = task / parts, p = task % parts;
            const auto [c0, c1] = bounds(kvh, p);
            float* part = merged.data() + task * part_floats;
            if (c1 > c0) {
                thread_queries(thread).run_group_part(kvh, c0, c1, part);
            } else {   // fewer keys than parts: an empty part weighs nothing
                for (int64_t g = 0; g < group; ++g) {
                    part[g * (hd + 2)] = -std::numeric_limits<float>::infinity();
                    part[g * (hd + 2) + 1] = 0.0f;
                }
            }
        });
        for (int64_t h = 0; h < a.n_heads; ++h) {
            const int64_t kvh = h / group, g = h % group;
            auto part_of = [&](int64_t p) { return merged.data() + (kvh * parts + p) * part_floats + g * (hd + 2); };
            float max_score = -std::numeric_limits<float>::infinity();
            for (int64_t p = 0; p < parts; ++p) max_score = std::max(max_score, part_of(p)[0]);
            float* out = a.out + h * hd;
            std::fill_n(out, hd, 0.0f);
            float sum = 0.0f;
            for (int64_t p = 0; p < parts; ++p) {
                const float* part = part_of(p);
                if (part[1] == 0.0f) continue;
                const float weight = std::exp(part[0] - max_score);
                sum += part[1] * weight;
                kernels.axpy(weight, part + 2, out, hd);
            }
            const float inv = 1.0f / sum;
            for (int64_t d = 0; d < hd; ++d) out[d] *= inv;
        }
        return;
    }
    if (grouped) {
        // A task owns a KV group (and all queries, when it sums key weights over them).
        const int64_t per_task = summing ? a.n_q : 1;
        pool.parallel_for(a.n_kv_heads * (a.n_q / per_task), [&](int64_t task, int thread) {
            const HeadQueries hq = thread_queries(thread);
            const int64_t kvh = task % a.n_kv_heads, i0 = task / a.n_kv_heads * per_task;
            for (int64_t i = i0; i < i0 + per_task; ++i) hq.run_group(kvh, i);
        });
        return;
    }
    // Each KV head's keys, transposed once for all its query heads and tiles, and scaled.
    const int64_t hd = a.head_dim;
    scratch.keys_t.resize(static_cast<size_t>(a.n_kv_heads * hd * key_row));
    constexpr int64_t kTransposeRows = 256;
    const int64_t blocks = (row + kTransposeRows - 1) / kTransposeRows;
    pool.parallel_for(a.n_kv_heads * blocks, [&](int64_t task, int) {
        const int64_t kvh = task / blocks, j0 = task % blocks * kTransposeRows;
        const KvSpan past = a.past.empty() ? KvSpan{} : a.past[static_cast<size_t>(kvh)];
        const int64_t n = past.n + a.n_cur, j1 = std::min(n, j0 + kTransposeRows);
        float* kt = scratch.keys_t.data() + kvh * hd * key_row;
        const int64_t split = std::clamp(past.n, j0, j1);   // cached keys before it, current ones from it
        if (split > j0) kernels.transpose(past.k + j0 * past.stride, past.stride, split - j0, hd, a.scale, kt + j0, key_row);
        if (j1 > split)
            kernels.transpose(a.k + ((split - past.n) * a.n_kv_heads + kvh) * hd, a.n_kv_heads * hd, j1 - split, hd, a.scale,
                              kt + split, key_row);
    });
    // Tasks are tiles of queries of one head. Sums over queries take a row per task (its
    // tile's weights on every key), added up per head and KV group after, so that summing
    // keeps every thread as busy as not summing.
    const int64_t tiles = (a.n_q + kQueryTile - 1) / kQueryTile;
    if (summing) scratch.task_sums.assign(static_cast<size_t>(a.n_heads * tiles * key_row), 0.0f);
    pool.parallel_for(a.n_heads * tiles, [&](int64_t task, int thread) {
        HeadQueries hq = thread_queries(thread);
        if (summing) hq.task_sums = scratch.task_sums.data() + task * key_row;
        const int64_t h = task / tiles, i0 = (task % tiles) * kQueryTile;
        hq.run_tile(h, i0, std::min(a.n_q, i0 + kQueryTile));
    });
    if (summing)
        for (int64_t task = 0; task < a.n_heads * tiles; ++task) {
            const int64_t h = task / tiles, kvh = h / group, n_past = a.past.empty() ? 0 : a.past[static_cast<size_t>(kvh)].n;
            const float* sums = scratch.task_sums.data() + task * key_row;
            if (a.past_attention) kernels.axpy(1.0f, sums, a.past_attention[kvh], n_past);
            if (a.key_attention) kernels.axpy(1.0f, sums + n_past, a.key_attention + h * a.key_attention_stride, a.n_cur);
        }
}

}  // namespace engine::cpu
