#include "engine/gguf/gguf_value.h"

#include "engine/error.h"

#include <limits>
#include <sstream>

namespace engine {

std::string_view gguf_value_type_name(GgufValueType type) {
    switch (type) {
    case GgufValueType::UInt8: return "uint8";
    case GgufValueType::Int8: return "int8";
    case GgufValueType::UInt16: return "uint16";
    case GgufValueType::Int16: return "int16";
    case GgufValueType::UInt32: return "uint32";
    case GgufValueType::Int32: return "int32";
    case GgufValueType::Float32: return "float32";
    case GgufValueType::Bool: return "bool";
    case GgufValueType::String: return "string";
    case GgufValueType::Array: return "array";
    case GgufValueType::UInt64: return "uint64";
    case GgufValueType::Int64: return "int64";
    case GgufValueType::Float64: return "float64";
    }
    return "unknown";
}

namespace {

bool is_unsigned(GgufValueType t) {
    return t == GgufValueType::UInt8 || t == GgufValueType::UInt16 || t == GgufValueType::UInt32 ||
           t == GgufValueType::UInt64;
}
bool is_signed(GgufValueType t) {
    return t == GgufValueType::Int8 || t == GgufValueType::Int16 || t == GgufValueType::Int32 ||
           t == GgufValueType::Int64;
}

[[noreturn]] void wrong_type(GgufValueType have, std::string_view want) {
    throw Error(ErrorKind::BadFile, "expected " + std::string(want) + " value, found " + std::string(gguf_value_type_name(have)));
}

}  // namespace

GgufValue GgufValue::from_uint(GgufValueType type, uint64_t v) {
    if (!is_unsigned(type)) wrong_type(type, "an unsigned integer type");
    GgufValue out;
    out.type_ = type;
    out.data_ = v;
    return out;
}

GgufValue GgufValue::from_int(GgufValueType type, int64_t v) {
    if (!is_signed(type)) wrong_type(type, "a signed integer type");
    GgufValue out;
    out.type_ = type;
    out.data_ = v;
    return out;
}

GgufValue GgufValue::from_float(GgufValueType type, double v) {
    if (type != GgufValueType::Float32 && type != GgufValueType::Float64) wrong_type(type, "a float type");
    GgufValue out;
    out.type_ = type;
    out.data_ = v;
    return out;
}

GgufValue GgufValue::from_bool(bool v) {
    GgufValue out;
    out.type_ = GgufValueType::Bool;
    out.data_ = v;
    return out;
}

GgufValue GgufValue::from_string(std::string v) {
    GgufValue out;
    out.type_ = GgufValueType::String;
    out.data_ = std::move(v);
    return out;
}

GgufValue GgufValue::from_array(GgufArray v) {
    for (const auto& e : v.elements)
        if (e.type() != v.element_type)
            throw Error(ErrorKind::BadFile, "array element of type " + std::string(gguf_value_type_name(e.type())) +
                        " in an array of " + std::string(gguf_value_type_name(v.element_type)));
    GgufValue out;
    out.type_ = GgufValueType::Array;
    out.data_ = std::move(v);
    return out;
}

GgufValue GgufValue::string_array(const std::vector<std::string>& items) {
    GgufArray a{GgufValueType::String, {}};
    a.elements.reserve(items.size());
    for (const auto& s : items) a.elements.push_back(from_string(s));
    return from_array(std::move(a));
}

GgufValue GgufValue::int32_array(const std::vector<int32_t>& items) {
    GgufArray a{GgufValueType::Int32, {}};
    a.elements.reserve(items.size());
    for (int32_t v : items) a.elements.push_back(from_int(GgufValueType::Int32, v));
    return from_array(std::move(a));
}

GgufValue GgufValue::float32_array(const std::vector<float>& items) {
    GgufArray a{GgufValueType::Float32, {}};
    a.elements.reserve(items.size());
    for (float v : items) a.elements.push_back(from_float(GgufValueType::Float32, v));
    return from_array(std::move(a));
}

bool GgufValue::is_integer() const { return is_signed(type_) || is_unsigned(type_); }

int64_t GgufValue::as_int() const {
    if (is_signed(type_)) return std::get<int64_t>(data_);
    if (is_unsigned(type_)) {
        uint64_t v = std::get<uint64_t>(data_);
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            throw Error(ErrorKind::BadFile, "integer value " + std::to_string(v) + " is too large");
        return static_cast<int64_t>(v);
    }
    wrong_type(type_, "an integer");
}

uint64_t GgufValue::as_uint() const {
    if (is_unsigned(type_)) return std::get<uint64_t>(data_);
    if (is_signed(type_)) {
        int64_t v = std::get<int64_t>(data_);
        if (v < 0) throw Error(ErrorKind::BadFile, "integer value " + std::to_string(v) + " is negative");
        return static_cast<uint64_t>(v);
    }
    wrong_type(type_, "an integer");
}

double GgufValue::as_float() const {
    if (is_float()) return std::get<double>(data_);
    if (is_signed(type_)) return static_cast<double>(std::get<int64_t>(data_));
    if (is_unsigned(type_)) return static_cast<double>(std::get<uint64_t>(data_));
    wrong_type(type_, "a number");
}

bool GgufValue::as_bool() const {
    if (type_ != GgufValueType::Bool) wrong_type(type_, "a bool");
    return std::get<bool>(data_);
}

const std::string& GgufValue::as_string() const {
    if (type_ != GgufValueType::String) wrong_type(type_, "a string");
    return std::get<std::string>(data_);
}

const GgufArray& GgufValue::as_array() const {
    if (type_ != GgufValueType::Array) wrong_type(type_, "an array");
    return std::get<GgufArray>(data_);
}

std::string GgufValue::to_display_string(size_t max_items) const {
    std::ostringstream out;
    switch (type_) {
    case GgufValueType::String: {
        const auto& s = as_string();
        out << '"' << (s.size() > 80 ? s.substr(0, 77) + "..." : s) << '"';
        break;
    }
    case GgufValueType::Bool: out << (as_bool() ? "true" : "false"); break;
    case GgufValueType::Float32:
    case GgufValueType::Float64: out << as_float(); break;
    case GgufValueType::Array: {
        const auto& a = as_array();
        out << '[';
        for (size_t i = 0; i < a.elements.size() && i < max_items; ++i)
            out << (i ? ", " : "") << a.elements[i].to_display_string(max_items);
        if (a.elements.size() > max_items) out << ", ... (" << a.elements.size() << " items)";
        out << ']';
        break;
    }
    default:
        if (is_signed(type_)) out << std::get<int64_t>(data_);
        else out << std::get<uint64_t>(data_);
    }
    return out.str();
}

}  // namespace engine
