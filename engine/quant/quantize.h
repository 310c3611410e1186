#pragma once
// Conversion between floats and the block formats of GGUF weights.

#include "engine/quant/ggml_type.h"

#include <cstdint>

namespace engine {

// Decodes n elements (a multiple of the block size) of `type` at src into dst.
// Throws Error for a type this engine cannot decode.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// Encodes n floats (a multiple of the block size) into `type` at dst
// (ggml_row_size(type, n) bytes). Throws Error for a type without an encoder.
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

// Whether quantize_row accepts this type.
bool can_quantize(GgmlType type);

// IEEE half and bfloat16 conversions (round to nearest even).
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);

}  // namespace engine
