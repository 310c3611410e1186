#include "engine/session/kv_rows.h"

#include "engine/cpu/row_decode.h"
#include "engine/error.h"
#include "engine/quant/quantize.h"

#include <algorithm>
#include <cstring>

namespace engine {

std::string kv_type_name(GgmlType type) {
    std::string name(ggml_type_name(type));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return name;
}

GgmlType parse_kv_type(std::string_view name) {
    for (GgmlType type : kKvTypes)
        if (kv_type_name(type) == name) return type;
    throw Error("unknown KV cache type \"" + std::string(name) + "\": choose f32, f16 or q8_0");
}

void check_kv_type(GgmlType type, int64_t width) {
    if (std::find(std::begin(kKvTypes), std::end(kKvTypes), type) == std::end(kKvTypes))
        throw Error("a KV cache cannot keep " + kv_type_name(type) + " values: choose f32, f16 or q8_0");
    const int64_t block = ggml_type_traits(type).block_size;
    if (width <= 0 || width % block != 0)
        throw Error("a KV cache of " + kv_type_name(type) + " keeps rows in blocks of " + std::to_string(block) +
                    " values, and this model's heads have " + std::to_string(width) + ": use --kv-type f16");
}

int64_t kv_row_bytes(GgmlType type, int64_t width) { return static_cast<int64_t>(ggml_row_size(type, width)); }

void round_to_kv_type(GgmlType type, float* rows, int64_t n_rows, int64_t width) {
    if (type == GgmlType::F32) return;
    std::vector<uint8_t> encoded(static_cast<size_t>(kv_row_bytes(type, width)));
    for (int64_t r = 0; r < n_rows; ++r) {
        float* row = rows + r * width;
        quantize_row(type, row, encoded.data(), width);
        dequantize_row(type, encoded.data(), row, width);
    }
}

KvRows::KvRows(GgmlType type, int64_t width) : type_(type), width_(width) {
    check_kv_type(type, width);
    row_bytes_ = kv_row_bytes(type, width);
}

const float* KvRows::floats() const {
    if (type_ != GgmlType::F32) throw Error("KV rows of " + kv_type_name(type_) + " read as f32");
    return reinterpret_cast<const float*>(bytes_.data());
}

void KvRows::push_back(const float* values) {
    const size_t at = bytes_.size();
    bytes_.resize(at + static_cast<size_t>(row_bytes_));
    quantize_row(type_, values, bytes_.data() + at, width_);
}

void KvRows::push_back_row(const KvRows& other, int64_t i) {
    if (other.type_ != type_ || other.width_ != width_) throw Error("KV rows copied between caches of different types");
    const uint8_t* src = other.row(i);
    bytes_.insert(bytes_.end(), src, src + row_bytes_);
}

void KvRows::append_bytes(std::span<const uint8_t> bytes) {
    if (row_bytes_ == 0 || bytes.size() % static_cast<size_t>(row_bytes_) != 0)
        throw Error(ErrorKind::BadFile, "KV rows of " + std::to_string(bytes.size()) + " bytes are not whole " +
                                            kv_type_name(type_) + " rows");
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void KvRows::set(int64_t i, const float* values) { quantize_row(type_, values, bytes_.data() + i * row_bytes_, width_); }

void KvRows::decode(int64_t first, int64_t count, float* out) const {
    cpu::decode_row_fast(type_, row(first), out, count * width_);
}

}  // namespace engine
