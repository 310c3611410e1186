#pragma once
// The per-layer KV cache that decode attends to: for every layer and KV head, the kept
// tokens' positions and their keys (after RoPE) and values, at the cache's element type
// (kv_rows.h). Heads may keep different tokens. It grows as tokens are appended and
// serializes to bytes and back exactly.

#include "engine/backend.h"
#include "engine/session/kv_rows.h"

#include <cstdint>
#include <span>
#include <vector>

namespace engine {

struct KvHeadCache {
    std::vector<int32_t> positions;   // original positions of the kept tokens, ascending
    KvRows k;                         // [size] rows of head_dim
    KvRows v;
    int64_t size() const { return static_cast<int64_t>(positions.size()); }
    // What attention reads: the rows in place, as floats or encoded.
    KvSpan span() const;
    // Appends one entry (encoding its key and value).
    void push_back(int32_t position, const float* key, const float* value);
    // Appends entry i of `other` (same element type) without decoding it.
    void push_back_entry(const KvHeadCache& other, int64_t i);
    bool operator==(const KvHeadCache&) const = default;
};

class CompressedCache {
public:
    static constexpr uint32_t kFormatVersion = 1;
    // Written only by a cache whose positions were compacted (it records the shift); a
    // cache never compacted writes version-1 bytes, so existing snapshots stay valid.
    static constexpr uint32_t kCompactedFormatVersion = 2;
    // Written only by a cache keeping another type than f32: it records the type and the shift.
    static constexpr uint32_t kTypedFormatVersion = 3;

    CompressedCache() = default;
    // kv_type: F32, F16 or Q8_0 (kv_rows.h); throws Error for a type the head size cannot keep.
    CompressedCache(int64_t n_layers, int64_t n_kv_heads, int64_t head_dim, uint64_t model_fingerprint,
                    GgmlType kv_type = GgmlType::F32);

    int64_t n_layers() const { return n_layers_; }
    int64_t n_kv_heads() const { return n_kv_heads_; }
    int64_t head_dim() const { return head_dim_; }
    uint64_t model_fingerprint() const { return fingerprint_; }
    GgmlType kv_type() const { return kv_type_; }

    KvHeadCache& head(int64_t layer, int64_t kv_head) { return heads_[index(layer, kv_head)]; }
    const KvHeadCache& head(int64_t layer, int64_t kv_head) const { return heads_[index(layer, kv_head)]; }

    // Layer `layer`'s heads as float spans, for code that reads floats (eviction policies):
    // in place for an f32 cache, else decoded into `storage`, which must outlive the spans.
    std::vector<KvSpan> float_spans(int64_t layer, std::vector<float>& storage) const;
    // The same cache kept at another element type: every row decoded and encoded again (so
    // converting to a narrower type rounds, and back to f32 returns those rounded values).
    CompressedCache with_kv_type(GgmlType type) const;

    // Every token the session has read or written, in order (evicted ones included).
    const std::vector<int32_t>& tokens() const { return tokens_; }
    int64_t next_position() const { return static_cast<int64_t>(tokens_.size()); }
    // The position RoPE gives the next token: next_position() less what compacting kept
    // entries to low positions gave back (windowed reading past the model's window).
    int64_t next_rotary_position() const { return next_position() - position_shift_; }
    int64_t position_shift() const { return position_shift_; }
    void set_position_shift(int64_t shift) { position_shift_ = shift; }
    void add_tokens(std::span<const int32_t> tokens) { tokens_.insert(tokens_.end(), tokens.begin(), tokens.end()); }

    // Cached (kept) entries summed over layers and heads, and their bytes of K and V.
    int64_t entries() const;
    int64_t kv_bytes() const { return entries() * 2 * kv_row_bytes(kv_type_, head_dim_); }

    // Sizes of every head, to undo appends made after it was taken (cancelled prefill).
    struct Mark {
        std::vector<int64_t> head_sizes;
        size_t n_tokens = 0;
    };
    Mark mark() const;
    void rollback(const Mark& mark);
    // Forgets every token from the `position`-th read on (next_position() counts): the token
    // list and the kept entries of those tokens, whose positions count from the last
    // compaction (position_shift). What a windowed read's probe added after its window.
    void drop_from(int64_t position);

    // [layer][kv_head] -> indices of kept entries, counted from a mark.
    using KeptEntries = std::vector<std::vector<std::vector<int32_t>>>;
    // A copy with, per layer and KV head, every entry before `from` and of the entries after
    // it only the kept ones (an empty mark: counted from the first entry). The one way a
    // cache is cut down to what a policy keeps. Throws engine::Error for out-of-range indices.
    CompressedCache keep_entries(const KeptEntries& kept, const Mark& from) const;
    CompressedCache keep_entries(const KeptEntries& kept) const { return keep_entries(kept, Mark{}); }

    // Bytes: magic, version, fingerprint, shape, tokens, then every head's positions, K, V.
    std::vector<uint8_t> serialize() const;
    // Throws engine::Error for damaged bytes, another version, or another model's cache.
    static CompressedCache deserialize(std::span<const uint8_t> bytes, uint64_t expected_fingerprint);

    bool operator==(const CompressedCache&) const = default;

private:
    size_t index(int64_t layer, int64_t kv_head) const {
        return static_cast<size_t>(layer * n_kv_heads_ + kv_head);
    }

    int64_t n_layers_ = 0;
    int64_t n_kv_heads_ = 0;
    int64_t head_dim_ = 0;
    uint64_t fingerprint_ = 0;
    GgmlType kv_type_ = GgmlType::F32;
    std::vector<int32_t> tokens_;
    int64_t position_shift_ = 0;
    std::vector<KvHeadCache> heads_;
};

}  // namespace engine
