#include "store/kv_layer_blob.h"

#include "engine/error.h"

#include <cstring>

namespace glimpse::store {
namespace {

template <typename T>
void put(std::vector<uint8_t>& out, const T* data, size_t n) {
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    out.insert(out.end(), p, p + n * sizeof(T));
}

}  // namespace

std::vector<uint8_t> encode_kv_layer(const engine::CompressedCache& cache, int64_t layer,
                                     std::span<const int64_t> from) {
    const auto row_bytes = static_cast<size_t>(engine::kv_row_bytes(cache.kv_type(), cache.head_dim()));
    size_t total = 0;
    for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
        const auto n = static_cast<size_t>(cache.head(layer, h).size() - from[static_cast<size_t>(h)]);
        total += 4 + n * 4 + 2 * n * row_bytes;
    }
    std::vector<uint8_t> out;
    out.reserve(total);
    for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
        const auto& head = cache.head(layer, h);
        const auto start = static_cast<size_t>(from[static_cast<size_t>(h)]);
        const auto n = static_cast<uint32_t>(head.positions.size() - start);
        put(out, &n, 1);
        put(out, head.positions.data() + start, n);
        put(out, head.k.bytes().data() + start * row_bytes, n * row_bytes);
        put(out, head.v.bytes().data() + start * row_bytes, n * row_bytes);
    }
    return out;
}

void decode_kv_layer(std::span<const uint8_t> blob, engine::CompressedCache& cache, int64_t layer,
                     const std::string& what) {
    const auto row_bytes = static_cast<size_t>(engine::kv_row_bytes(cache.kv_type(), cache.head_dim()));
    size_t at = 0;
    auto take = [&](void* dst, size_t bytes) {
        if (bytes > blob.size() - at)
            throw engine::Error(engine::ErrorKind::BadFile, what + ": layer " + std::to_string(layer) +
                                                                " ends early (" + std::to_string(blob.size()) + " bytes)");
        std::memcpy(dst, blob.data() + at, bytes);
        at += bytes;
    };
    for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
        uint32_t n = 0;
        take(&n, 4);
        if (n > blob.size())
            throw engine::Error(engine::ErrorKind::BadFile, what + ": layer " + std::to_string(layer) +
                                                                " claims " + std::to_string(n) + " entries");
        auto& head = cache.head(layer, h);
        const size_t old = head.positions.size();
        head.positions.resize(old + n);
        take(head.positions.data() + old, n * 4);
        for (engine::KvRows* rows : {&head.k, &head.v}) {
            std::vector<uint8_t> bytes(n * row_bytes);
            take(bytes.data(), bytes.size());
            rows->append_bytes(bytes);
        }
    }
    if (at != blob.size())
        throw engine::Error(engine::ErrorKind::BadFile, what + ": layer " + std::to_string(layer) + " has " +
                                                            std::to_string(blob.size() - at) + " bytes too many");
}

uint64_t fnv1a64(std::span<const uint8_t> bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t b : bytes) {
        h ^= b;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace glimpse::store
