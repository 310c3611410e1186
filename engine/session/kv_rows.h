#pragma once
// Rows of keys or values as a KV cache keeps them: F32, F16 or Q8_0 (GGUF's layouts, so
// the weight codecs serve), half or about a quarter of the f32 bytes. Rows are encoded as
// they are appended and decoded where floats are needed; attention reads them in place.

#include "engine/quant/ggml_type.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

// The element types a KV cache may keep, as `--kv-type` names them.
inline constexpr GgmlType kKvTypes[] = {GgmlType::F32, GgmlType::F16, GgmlType::Q8_0};
// "f32", "f16" or "q8_0".
std::string kv_type_name(GgmlType type);
// Throws Error naming the choices for any other name.
GgmlType parse_kv_type(std::string_view name);
// Throws Error unless rows of `width` values can be kept at `type` (Q8_0: whole blocks of 32).
void check_kv_type(GgmlType type, int64_t width);
// Bytes of one row of `width` values at `type`.
int64_t kv_row_bytes(GgmlType type, int64_t width);
// Rounds n_rows rows of `width` values, in place, to exactly what `type` keeps of them, so
// what attends to and scores them sees the values the cache will hold.
void round_to_kv_type(GgmlType type, float* rows, int64_t n_rows, int64_t width);

class KvRows {
public:
    KvRows() = default;
    KvRows(GgmlType type, int64_t width);

    GgmlType type() const { return type_; }
    int64_t width() const { return width_; }
    int64_t row_bytes() const { return row_bytes_; }
    int64_t size() const { return row_bytes_ > 0 ? static_cast<int64_t>(bytes_.size()) / row_bytes_ : 0; }
    const uint8_t* row(int64_t i) const { return bytes_.data() + i * row_bytes_; }
    // The rows as floats; only for an F32 cache (throws otherwise).
    const float* floats() const;
    std::span<const uint8_t> bytes() const { return bytes_; }

    void reserve(int64_t rows) { bytes_.reserve(static_cast<size_t>(rows * row_bytes_)); }
    void resize(int64_t rows) { bytes_.resize(static_cast<size_t>(rows * row_bytes_)); }
    // Encodes one row of width() floats at the end.
    void push_back(const float* values);
    // Copies row i of `other` (same type and width) without decoding it.
    void push_back_row(const KvRows& other, int64_t i);
    // Appends whole encoded rows; throws Error when bytes is not a whole number of rows.
    void append_bytes(std::span<const uint8_t> bytes);
    // Re-encodes row i from floats.
    void set(int64_t i, const float* values);
    // Decodes `count` rows from row `first` into out ([count][width]).
    void decode(int64_t first, int64_t count, float* out) const;

    bool operator==(const KvRows&) const = default;

private:
    GgmlType type_ = GgmlType::F32;
    int64_t width_ = 0;
    int64_t row_bytes_ = 0;
    std::vector<uint8_t> bytes_;
};

}  // namespace engine
