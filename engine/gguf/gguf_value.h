#pragma once
// A metadata value of a GGUF file: a scalar, a string or a (possibly nested) array.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace engine {

enum class GgufValueType : uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6,
    Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};

std::string_view gguf_value_type_name(GgufValueType type);

class GgufValue;

struct GgufArray {
    GgufValueType element_type = GgufValueType::UInt8;
    std::vector<GgufValue> elements;
};

class GgufValue {
public:
    GgufValue() = default;
    static GgufValue from_uint(GgufValueType type, uint64_t v);
    static GgufValue from_int(GgufValueType type, int64_t v);
    static GgufValue from_float(GgufValueType type, double v);
    static GgufValue from_bool(bool v);
    static GgufValue from_string(std::string v);
    static GgufValue from_array(GgufArray v);
    // Convenience constructors for writers.
    static GgufValue u32(uint32_t v) { return from_uint(GgufValueType::UInt32, v); }
    static GgufValue i32(int32_t v) { return from_int(GgufValueType::Int32, v); }
    static GgufValue f32(float v) { return from_float(GgufValueType::Float32, v); }
    static GgufValue string_array(const std::vector<std::string>& items);
    static GgufValue int32_array(const std::vector<int32_t>& items);
    static GgufValue float32_array(const std::vector<float>& items);

    GgufValueType type() const { return type_; }
    bool is_integer() const;
    bool is_float() const { return type_ == GgufValueType::Float32 || type_ == GgufValueType::Float64; }

    // Accessors throw engine::Error when the value has another type or does not fit.
    int64_t as_int() const;
    uint64_t as_uint() const;
    double as_float() const;   // floats and integers
    bool as_bool() const;
    const std::string& as_string() const;
    const GgufArray& as_array() const;

    // A short human-readable rendering (long arrays are elided).
    std::string to_display_string(size_t max_items = 8) const;

private:
    GgufValueType type_ = GgufValueType::UInt8;
    std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray> data_{uint64_t{0}};
};

}  // namespace engine
