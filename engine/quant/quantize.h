#pragma once
// Conversion between floats and the block formats of GGUF weights.

#include "engine/quant/ggml_type.h"

#include <cstdint>

namespace engine {

// Decodes n elements (a multiple of the block size) of `type` at src into dst, giving
// exactly the floats ggml gives. Decodes F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q2_K, Q3_K, Q4_K, Q5_K and Q6_K; src needs no particular alignment.
// Throws Error for a type this engine cannot decode or a count that is not whole blocks.
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// Encodes n floats (a multiple of the block size) into `type` at dst
// (ggml_row_size(type, n) bytes). Q4_0 .. Q8_0 give the same bytes as gguf-py, which follows
// ggml's reference rounding; the K-quants search sub-block scales for a small squared error.
// Throws Error for a type without an encoder, a count that is not whole blocks, or a NaN or
// infinity bound for a block format (F32 / F16 / BF16 keep them).
void quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

// Whether quantize_row accepts this type: the types dequantize_row decodes.
bool can_quantize(GgmlType type);

// IEEE half and bfloat16 conversions: round to nearest even, subnormals kept, overflow to
// infinity, NaN stays a (quiet) NaN of the same sign.
float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);
float bf16_to_fp32(uint16_t h);
uint16_t fp32_to_bf16(float f);

}  // namespace engine
