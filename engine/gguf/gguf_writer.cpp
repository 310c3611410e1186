#include "engine/gguf/gguf_writer.h"

#include "engine/atomic_file.h"
#include "engine/error.h"

#include <cstring>
#include <fstream>
#include <system_error>
#include <unistd.h>

namespace engine {
namespace {

class ByteSink {
public:
    template <typename T>
    void put(T v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(T));
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void pad_to(uint64_t alignment) {
        while (bytes.size() % alignment) bytes.push_back(0);
    }
    std::vector<uint8_t> bytes;
};

void put_value(ByteSink& out, const GgufValue& v) {
    switch (v.type()) {
    case GgufValueType::UInt8: out.put<uint8_t>(static_cast<uint8_t>(v.as_uint())); break;
    case GgufValueType::Int8: out.put<int8_t>(static_cast<int8_t>(v.as_int())); break;
    case GgufValueType::UInt16: out.put<uint16_t>(static_cast<uint16_t>(v.as_uint())); break;
    case GgufValueType::Int16: out.put<int16_t>(static_cast<int16_t>(v.as_int())); break;
    case GgufValueType::UInt32: out.put<uint32_t>(static_cast<uint32_t>(v.as_uint())); break;
    case GgufValueType::Int32: out.put<int32_t>(static_cast<int32_t>(v.as_int())); break;
    case GgufValueType::UInt64: out.put<uint64_t>(v.as_uint()); break;
    case GgufValueType::Int64: out.put<int64_t>(v.as_int()); break;
    case GgufValueType::Float32: out.put<float>(static_cast<float>(v.as_float())); break;
    case GgufValueType::Float64: out.put<double>(v.as_float()); break;
    case GgufValueType::Bool: out.put<uint8_t>(v.as_bool() ? 1 : 0); break;
    case GgufValueType::String: out.put_string(v.as_string()); break;
    case GgufValueType::Array: {
        const auto& a = v.as_array();
        out.put<uint32_t>(static_cast<uint32_t>(a.element_type));
        out.put<uint64_t>(a.elements.size());
        for (const auto& e : a.elements) put_value(out, e);
        break;
    }
    }
}

}  // namespace

GgufWriter::GgufWriter(uint64_t alignment) : alignment_(alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        throw Error("GGUF alignment " + std::to_string(alignment) + " is not a power of two");
    if (alignment != 32) set("general.alignment", GgufValue::u32(static_cast<uint32_t>(alignment)));
}

void GgufWriter::set(const std::string& key, GgufValue value) {
    for (auto& [k, v] : metadata_)
        if (k == key) {
            v = std::move(value);
            return;
        }
    metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> shape,
                            std::vector<uint8_t> data) {
    if (shape.empty() || shape.size() > 4) throw Error("tensor '" + name + "': 1 to 4 dimensions are allowed");
    int64_t rows = 1;
    for (size_t i = 1; i < shape.size(); ++i) rows *= shape[i];
    size_t expected = ggml_row_size(type, shape[0]) * static_cast<size_t>(rows);
    if (data.size() != expected)
        throw Error("tensor '" + name + "': " + std::to_string(data.size()) + " bytes given, " +
                    std::to_string(expected) + " needed for its type and shape");
    for (const auto& t : tensors_)
        if (t.name == name) throw Error("tensor '" + name + "' is added twice");
    tensors_.push_back({name, type, std::move(shape), std::move(data)});
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
    ByteSink out;
    out.put<uint32_t>(0x46554747);
    out.put<uint32_t>(3);
    out.put<uint64_t>(tensors_.size());
    out.put<uint64_t>(metadata_.size());
    for (const auto& [key, value] : metadata_) {
        out.put_string(key);
        out.put<uint32_t>(static_cast<uint32_t>(value.type()));
        put_value(out, value);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        out.put_string(t.name);
        out.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
        for (int64_t d : t.shape) out.put<uint64_t>(static_cast<uint64_t>(d));
        out.put<uint32_t>(static_cast<uint32_t>(t.type));
        out.put<uint64_t>(offset);
        offset += t.data.size();
        offset += (alignment_ - offset % alignment_) % alignment_;
    }
    out.pad_to(alignment_);
    for (const auto& t : tensors_) {
        out.bytes.insert(out.bytes.end(), t.data.begin(), t.data.end());
        out.pad_to(alignment_);
    }
    return out.bytes;
}

void GgufWriter::write(const std::filesystem::path& path) const { write_file_atomically(path, to_bytes()); }

}  // namespace engine
