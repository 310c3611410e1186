#include "engine/gguf/gguf_writer.h"

#include "engine/error.h"
#include "engine/quant/quantize.h"

#include <cstring>

namespace engine {

void GgufWriter::add_tensor_f32(const std::string& name, std::vector<int64_t> shape,
                                const std::vector<float>& values, GgmlType type) {
    if (shape.empty()) throw Error("tensor '" + name + "': no shape");
    int64_t rows = 1;
    for (size_t i = 1; i < shape.size(); ++i) rows *= shape[i];
    if (static_cast<int64_t>(values.size()) != shape[0] * rows)
        throw Error("tensor '" + name + "': " + std::to_string(values.size()) + " values for its shape");
    std::vector<uint8_t> data(ggml_row_size(type, shape[0]) * static_cast<size_t>(rows));
    if (type == GgmlType::F32) {
        std::memcpy(data.data(), values.data(), data.size());
    } else {
        size_t row_bytes = ggml_row_size(type, shape[0]);
        for (int64_t r = 0; r < rows; ++r)
            quantize_row(type, values.data() + r * shape[0], data.data() + r * row_bytes, shape[0]);
    }
    add_tensor(name, type, std::move(shape), std::move(data));
}

}  // namespace engine
