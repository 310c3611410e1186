// quantize_row / dequantize_row: check the request, then hand whole blocks to the codec of
// the type.

#include "engine/quant/quantize.h"

#include "engine/error.h"
#include "engine/quant/block_codecs.h"

#include <cmath>
#include <cstring>
#include <string>

namespace engine {

namespace {

using namespace quant_codecs;

using Decoder = void (*)(const void*, float*, int64_t);
using Encoder = void (*)(const float*, void*, int64_t);

void decode_f32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); }

void decode_f16(const void* src, float* dst, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = fp16_to_fp32(h);
    }
}

void decode_bf16(const void* src, float* dst, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = bf16_to_fp32(h);
    }
}

void encode_f32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); }

void encode_f16(const float* src, void* dst, int64_t n) {
    auto* bytes = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_fp16(src[i]);
        std::memcpy(bytes + 2 * i, &h, 2);
    }
}

void encode_bf16(const float* src, void* dst, int64_t n) {
    auto* bytes = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_bf16(src[i]);
        std::memcpy(bytes + 2 * i, &h, 2);
    }
}

Decoder decoder_for(GgmlType type) {
    switch (type) {
        case GgmlType::F32: return decode_f32;
        case GgmlType::F16: return decode_f16;
        case GgmlType::BF16: return decode_bf16;
        case GgmlType::Q4_0: return dequantize_q4_0;
        case GgmlType::Q4_1: return dequantize_q4_1;
        case GgmlType::Q5_0: return dequantize_q5_0;
        case GgmlType::Q5_1: return dequantize_q5_1;
        case GgmlType::Q8_0: return dequantize_q8_0;
        case GgmlType::Q2_K: return dequantize_q2_k;
        case GgmlType::Q3_K: return dequantize_q3_k;
        case GgmlType::Q4_K: return dequantize_q4_k;
        case GgmlType::Q5_K: return dequantize_q5_k;
        case GgmlType::Q6_K: return dequantize_q6_k;
        default: return nullptr;
    }
}

Encoder encoder_for(GgmlType type) {
    switch (type) {
        case GgmlType::F32: return encode_f32;
        case GgmlType::F16: return encode_f16;
        case GgmlType::BF16: return encode_bf16;
        case GgmlType::Q4_0: return quantize_q4_0;
        case GgmlType::Q4_1: return quantize_q4_1;
        case GgmlType::Q5_0: return quantize_q5_0;
        case GgmlType::Q5_1: return quantize_q5_1;
        case GgmlType::Q8_0: return quantize_q8_0;
        case GgmlType::Q2_K: return quantize_q2_k;
        case GgmlType::Q3_K: return quantize_q3_k;
        case GgmlType::Q4_K: return quantize_q4_k;
        case GgmlType::Q5_K: return quantize_q5_k;
        case GgmlType::Q6_K: return quantize_q6_k;
        default: return nullptr;
    }
}

// A readable name even for an id outside the table.
std::string type_label(GgmlType type) {
    if (auto traits = ggml_type_traits(static_cast<uint32_t>(type))) return std::string(traits->name);
    return "tensor type id " + std::to_string(static_cast<uint32_t>(type));
}

bool is_float_format(GgmlType type) {
    return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
}

}  // namespace

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
    const Decoder decode = decoder_for(type);
    if (!decode) throw Error("cannot decode weights of type " + type_label(type) + ": this engine does not support it");
    ggml_row_size(type, n);  // throws unless n is a whole number of blocks
    decode(src, dst, n / ggml_type_traits(type).block_size);
}

void quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
    const Encoder encode = encoder_for(type);
    if (!encode) throw Error("cannot quantize to type " + type_label(type) + ": this engine has no encoder for it");
    ggml_row_size(type, n);
    if (!is_float_format(type)) {
        // A block format has no code for NaN or infinity; one would spoil its whole block.
        for (int64_t i = 0; i < n; ++i)
            if (!std::isfinite(src[i]))
                throw Error("cannot quantize to " + type_label(type) + ": element " + std::to_string(i) +
                            " is " + (std::isnan(src[i]) ? "NaN" : "infinite"));
    }
    encode(src, dst, n / ggml_type_traits(type).block_size);
}

bool can_quantize(GgmlType type) { return encoder_for(type) != nullptr; }

}  // namespace engine
