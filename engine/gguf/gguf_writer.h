#pragma once
// Writing GGUF v3 files: tests make tiny random models with it, and the LookaheadKV
// trainer writes adapters. Files are written to a temporary name and renamed into
// place, so a failed write never leaves a half-written file under the real name.

#include "engine/gguf/gguf_value.h"
#include "engine/quant/ggml_type.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace engine {

class GgufWriter {
public:
    explicit GgufWriter(uint64_t alignment = 32);

    // Sets (or replaces) a metadata key; insertion order is kept.
    void set(const std::string& key, GgufValue value);
    void set_string(const std::string& key, std::string value) { set(key, GgufValue::from_string(std::move(value))); }
    void set_u32(const std::string& key, uint32_t value) { set(key, GgufValue::u32(value)); }
    void set_f32(const std::string& key, float value) { set(key, GgufValue::f32(value)); }
    void set_bool(const std::string& key, bool value) { set(key, GgufValue::from_bool(value)); }

    // Adds a tensor; `data` must hold exactly the bytes its type and shape need.
    void add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> shape,
                    std::vector<uint8_t> data);
    // Adds an F32 tensor, or quantizes the floats into `type` first.
    void add_tensor_f32(const std::string& name, std::vector<int64_t> shape,
                        const std::vector<float>& values, GgmlType type = GgmlType::F32);

    std::vector<uint8_t> to_bytes() const;
    void write(const std::filesystem::path& path) const;

private:
    struct Tensor {
        std::string name;
        GgmlType type;
        std::vector<int64_t> shape;
        std::vector<uint8_t> data;
    };
    uint64_t alignment_;
    std::vector<std::pair<std::string, GgufValue>> metadata_;
    std::vector<Tensor> tensors_;
};

}  // namespace engine
