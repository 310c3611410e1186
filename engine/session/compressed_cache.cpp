#include "engine/session/compressed_cache.h"

#include "engine/error.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace engine {
namespace {

constexpr char kMagic[4] = {'G', 'L', 'K', 'V'};

class ByteWriter {
public:
    template <class T>
    void put(const T& v) { raw(&v, sizeof v); }
    template <class T>
    void put_array(const std::vector<T>& v) { raw(v.data(), v.size() * sizeof(T)); }
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    }
    std::vector<uint8_t> out;
};

class ByteReader {
public:
    explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    template <class T>
    T get(const char* what) {
        T v;
        raw(&v, sizeof v, what);
        return v;
    }
    template <class T>
    void get_array(std::vector<T>& v, uint64_t count, const char* what) {
        if (count > remaining() / sizeof(T)) fail(what);
        v.resize(static_cast<size_t>(count));
        raw(v.data(), static_cast<size_t>(count) * sizeof(T), what);
    }
    void raw(void* p, size_t n, const char* what) {
        if (n > remaining()) fail(what);
        std::memcpy(p, bytes_.data() + pos_, n);
        pos_ += n;
    }
    size_t remaining() const { return bytes_.size() - pos_; }
    [[noreturn]] static void fail(const char* what) {
        throw Error(ErrorKind::BadFile, std::string("KV cache snapshot is truncated or damaged (reading ") + what + ")");
    }

private:
    std::span<const uint8_t> bytes_;
    size_t pos_ = 0;
};

}  // namespace

KvSpan KvHeadCache::span() const {
    KvSpan s;
    s.n = size();
    s.type = k.type();
    if (s.type == GgmlType::F32) {
        s.k = k.floats();
        s.v = v.floats();
        s.stride = k.width();
    } else {
        s.k_rows = k.row(0);
        s.v_rows = v.row(0);
        s.row_bytes = k.row_bytes();
    }
    return s;
}

void KvHeadCache::push_back(int32_t position, const float* key, const float* value) {
    positions.push_back(position);
    k.push_back(key);
    v.push_back(value);
}

void KvHeadCache::push_back_entry(const KvHeadCache& other, int64_t i) {
    positions.push_back(other.positions[static_cast<size_t>(i)]);
    k.push_back_row(other.k, i);
    v.push_back_row(other.v, i);
}

CompressedCache::CompressedCache(int64_t n_layers, int64_t n_kv_heads, int64_t head_dim, uint64_t fingerprint,
                                 GgmlType kv_type)
    : n_layers_(n_layers), n_kv_heads_(n_kv_heads), head_dim_(head_dim), fingerprint_(fingerprint), kv_type_(kv_type),
      heads_(static_cast<size_t>(n_layers * n_kv_heads)) {
    for (auto& h : heads_) h.k = h.v = KvRows(kv_type, head_dim);
}

int64_t CompressedCache::entries() const {
    int64_t n = 0;
    for (const auto& h : heads_) n += h.size();
    return n;
}

std::vector<KvSpan> CompressedCache::float_spans(int64_t layer, std::vector<float>& storage) const {
    std::vector<KvSpan> spans(static_cast<size_t>(n_kv_heads_));
    if (kv_type_ == GgmlType::F32) {
        for (int64_t h = 0; h < n_kv_heads_; ++h) spans[static_cast<size_t>(h)] = head(layer, h).span();
        return spans;
    }
    int64_t total = 0;
    for (int64_t h = 0; h < n_kv_heads_; ++h) total += head(layer, h).size();
    storage.resize(static_cast<size_t>(2 * total * head_dim_));
    float* at = storage.data();
    for (int64_t h = 0; h < n_kv_heads_; ++h) {
        const KvHeadCache& hc = head(layer, h);
        const int64_t n = hc.size();
        if (n > 0) {
            hc.k.decode(0, n, at);
            hc.v.decode(0, n, at + n * head_dim_);
        }
        spans[static_cast<size_t>(h)] = KvSpan{at, at + n * head_dim_, n, head_dim_};
        at += 2 * n * head_dim_;
    }
    return spans;
}

CompressedCache CompressedCache::with_kv_type(GgmlType type) const {
    if (type == kv_type_) return *this;
    CompressedCache out(n_layers_, n_kv_heads_, head_dim_, fingerprint_, type);
    out.tokens_ = tokens_;
    out.position_shift_ = position_shift_;
    std::vector<float> k, v;
    for (size_t i = 0; i < heads_.size(); ++i) {
        const KvHeadCache& from = heads_[i];
        KvHeadCache& to = out.heads_[i];
        const int64_t n = from.size();
        k.resize(static_cast<size_t>(n * head_dim_));
        v.resize(k.size());
        if (n > 0) {
            from.k.decode(0, n, k.data());
            from.v.decode(0, n, v.data());
        }
        to.k.reserve(n);
        to.v.reserve(n);
        for (int64_t j = 0; j < n; ++j)
            to.push_back(from.positions[static_cast<size_t>(j)], k.data() + j * head_dim_, v.data() + j * head_dim_);
    }
    return out;
}

void CompressedCache::drop_from(int64_t position) {
    if (position < 0 || position > next_position())
        throw Error("KV cache: cannot drop from position " + std::to_string(position) + " of " +
                    std::to_string(next_position()));
    const auto rotary = static_cast<int32_t>(position - position_shift_);
    for (auto& h : heads_) {
        const auto first = std::lower_bound(h.positions.begin(), h.positions.end(), rotary);
        const auto keep = static_cast<int64_t>(first - h.positions.begin());
        h.positions.resize(static_cast<size_t>(keep));
        h.k.resize(keep);
        h.v.resize(keep);
    }
    tokens_.resize(static_cast<size_t>(position));
}

CompressedCache::Mark CompressedCache::mark() const {
    Mark m;
    m.n_tokens = tokens_.size();
    for (const auto& h : heads_) m.head_sizes.push_back(h.size());
    return m;
}

void CompressedCache::rollback(const Mark& m) {
    if (m.head_sizes.size() != heads_.size()) throw Error("KV cache rollback: mark from another cache");
    for (size_t i = 0; i < heads_.size(); ++i)
        if (heads_[i].size() < m.head_sizes[i] || tokens_.size() < m.n_tokens)
            throw Error("KV cache rollback: entries were evicted after the mark");
    tokens_.resize(m.n_tokens);
    for (size_t i = 0; i < heads_.size(); ++i) {
        heads_[i].positions.resize(static_cast<size_t>(m.head_sizes[i]));
        heads_[i].k.resize(m.head_sizes[i]);
        heads_[i].v.resize(m.head_sizes[i]);
    }
}

CompressedCache CompressedCache::keep_entries(const KeptEntries& kept, const Mark& from) const {
    if (static_cast<int64_t>(kept.size()) != n_layers_ || (!from.head_sizes.empty() && from.head_sizes.size() != heads_.size()))
        throw Error("KV cache cut: kept sets for " + std::to_string(kept.size()) + " layers, the cache has " +
                    std::to_string(n_layers_));
    CompressedCache out(n_layers_, n_kv_heads_, head_dim_, fingerprint_, kv_type_);
    out.tokens_ = tokens_;
    out.position_shift_ = position_shift_;
    for (int64_t l = 0; l < n_layers_; ++l) {
        if (static_cast<int64_t>(kept[static_cast<size_t>(l)].size()) != n_kv_heads_)
            throw Error("KV cache cut: kept sets for the wrong number of KV heads at layer " + std::to_string(l));
        for (int64_t h = 0; h < n_kv_heads_; ++h) {
            const size_t i = index(l, h);
            const KvHeadCache& src = heads_[i];
            KvHeadCache& dst = out.heads_[i];
            const int64_t first = from.head_sizes.empty() ? 0 : from.head_sizes[i];
            const auto& chosen = kept[static_cast<size_t>(l)][static_cast<size_t>(h)];
            auto copy = [&](int64_t e) {
                if (e < 0 || e >= src.size()) throw Error("KV cache cut: a kept index is out of range");
                dst.push_back_entry(src, e);
            };
            dst.positions.reserve(static_cast<size_t>(first) + chosen.size());
            dst.k.reserve(first + static_cast<int64_t>(chosen.size()));
            dst.v.reserve(first + static_cast<int64_t>(chosen.size()));
            for (int64_t e = 0; e < first; ++e) copy(e);
            for (int32_t t : chosen) copy(first + t);
        }
    }
    return out;
}

std::vector<uint8_t> CompressedCache::serialize() const {
    ByteWriter w;
    w.raw(kMagic, sizeof kMagic);
    const bool typed = kv_type_ != GgmlType::F32;
    w.put(typed ? kTypedFormatVersion : position_shift_ != 0 ? kCompactedFormatVersion : kFormatVersion);
    w.put(fingerprint_);
    w.put(static_cast<uint32_t>(n_layers_));
    w.put(static_cast<uint32_t>(n_kv_heads_));
    w.put(static_cast<uint32_t>(head_dim_));
    if (typed) w.put(static_cast<uint32_t>(kv_type_));
    w.put(static_cast<uint64_t>(tokens_.size()));
    w.put_array(tokens_);
    if (typed || position_shift_ != 0) w.put(static_cast<uint64_t>(position_shift_));
    for (const auto& h : heads_) {
        w.put(static_cast<uint64_t>(h.size()));
        w.put_array(h.positions);
        w.raw(h.k.bytes().data(), h.k.bytes().size());
        w.raw(h.v.bytes().data(), h.v.bytes().size());
    }
    return std::move(w.out);
}

CompressedCache CompressedCache::deserialize(std::span<const uint8_t> bytes, uint64_t expected_fingerprint) {
    ByteReader r(bytes);
    char magic[4];
    r.raw(magic, sizeof magic, "magic");
    if (std::memcmp(magic, kMagic, sizeof magic) != 0) throw Error(ErrorKind::BadFile, "not a Glimpse KV cache snapshot (bad magic)");
    const auto version = r.get<uint32_t>("version");
    if (version < kFormatVersion || version > kTypedFormatVersion)
        throw Error(ErrorKind::BadFile, "KV cache snapshot has format version " + std::to_string(version) + ", this build reads " +
                    std::to_string(kFormatVersion) + " to " + std::to_string(kTypedFormatVersion));
    const auto fingerprint = r.get<uint64_t>("model fingerprint");
    if (fingerprint != expected_fingerprint)
        throw Error(ErrorKind::WrongModel, "KV cache snapshot was made by another model (fingerprint mismatch); it cannot be used");
    const auto n_layers = r.get<uint32_t>("layer count");
    const auto n_kv_heads = r.get<uint32_t>("KV head count");
    const auto head_dim = r.get<uint32_t>("head size");
    if (n_layers == 0 || n_kv_heads == 0 || head_dim == 0 || head_dim > 65536 ||
        uint64_t{n_layers} * n_kv_heads > (1u << 20))
        ByteReader::fail("shape");
    GgmlType kv_type = GgmlType::F32;
    if (version == kTypedFormatVersion) {
        const auto id = r.get<uint32_t>("element type");
        const auto traits = ggml_type_traits(id);
        if (!traits || id == static_cast<uint32_t>(GgmlType::F32)) ByteReader::fail("element type");
        kv_type = traits->type;
        try {
            check_kv_type(kv_type, head_dim);
        } catch (const Error&) {
            ByteReader::fail("element type");
        }
    }

    CompressedCache c(n_layers, n_kv_heads, head_dim, fingerprint, kv_type);
    r.get_array(c.tokens_, r.get<uint64_t>("token count"), "tokens");
    if (version != kFormatVersion) {
        const auto shift = r.get<uint64_t>("position shift");
        if ((version == kCompactedFormatVersion && shift == 0) || shift > c.tokens_.size())
            ByteReader::fail("position shift");
        c.position_shift_ = static_cast<int64_t>(shift);
    }
    const auto n_positions = c.next_rotary_position();
    for (auto& h : c.heads_) {
        const auto n = r.get<uint64_t>("head size");
        if (n > static_cast<uint64_t>(n_positions)) ByteReader::fail("head size");
        r.get_array(h.positions, n, "positions");
        for (size_t i = 0; i < h.positions.size(); ++i)
            if (h.positions[i] < 0 || h.positions[i] >= n_positions || (i > 0 && h.positions[i] <= h.positions[i - 1]))
                ByteReader::fail("positions");
        const uint64_t row_bytes = static_cast<uint64_t>(h.k.row_bytes());
        for (KvRows* rows : {&h.k, &h.v}) {
            std::vector<uint8_t> bytes;
            if (n > r.remaining() / row_bytes) ByteReader::fail(rows == &h.k ? "keys" : "values");
            r.get_array(bytes, n * row_bytes, rows == &h.k ? "keys" : "values");
            rows->append_bytes(bytes);
        }
    }
    if (r.remaining() != 0) ByteReader::fail("end: extra bytes");
    return c;
}

}  // namespace engine
