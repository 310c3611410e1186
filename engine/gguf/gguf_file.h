#pragma once
// Reading GGUF (v2 and v3) model and adapter files. The file is memory-mapped; every
// count, length, offset and dimension is validated before use, so a damaged file gives
// an engine::Error that names the file, the field and the problem.

#include "engine/gguf/gguf_value.h"
#include "engine/quant/ggml_type.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace engine {

struct GgufTensorInfo {
    std::string name;
    std::vector<int64_t> shape;   // ne[0] first: shape[0] is the contiguous (row) dimension
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;          // from the start of the data section
    uint64_t size_bytes = 0;
    int64_t n_elements = 0;
    const uint8_t* data = nullptr;  // inside the mapping; valid while the GgufFile lives

    int64_t rows() const;          // product of shape[1..]
    int64_t row_length() const { return shape.empty() ? 1 : shape[0]; }
};

class GgufFile {
public:
    // Maps and parses a file. Throws engine::Error on any problem.
    static GgufFile open(const std::filesystem::path& path);
    // Parses a copy of an in-memory image; `name` is used in messages.
    static GgufFile parse(std::vector<uint8_t> bytes, std::string name = "<memory>");

    GgufFile(GgufFile&&) noexcept;
    GgufFile& operator=(GgufFile&&) noexcept;
    ~GgufFile();

    const std::string& name() const { return name_; }   // path or label, for messages
    uint32_t version() const { return version_; }
    uint64_t file_size() const { return size_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }

    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
    const GgufValue* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // Typed lookups; the required forms throw naming the file and key.
    const GgufValue& get(std::string_view key) const;
    std::string get_string(std::string_view key) const;
    int64_t get_int(std::string_view key) const;
    double get_float(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    std::optional<std::string> get_string_opt(std::string_view key) const;
    std::optional<int64_t> get_int_opt(std::string_view key) const;
    std::optional<double> get_float_opt(std::string_view key) const;
    std::optional<bool> get_bool_opt(std::string_view key) const;
    // A required array whose elements all have `element_type`.
    const GgufArray& get_array(std::string_view key, GgufValueType element_type) const;

    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
    const GgufTensorInfo* find_tensor(std::string_view name) const;
    const GgufTensorInfo& tensor(std::string_view name) const;   // throws if missing

private:
    GgufFile() = default;
    void parse_image();

    struct Mapping;
    std::unique_ptr<Mapping> mapping_;
    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    std::string name_;
    uint32_t version_ = 0;
    uint64_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::unordered_map<std::string, size_t> metadata_index_;
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace engine
