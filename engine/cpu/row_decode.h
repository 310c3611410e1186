#pragma once
// One weight row of any supported format to floats.

#include "engine/quant/ggml_type.h"

#include <cstdint>

namespace engine::cpu {

// Decodes n elements of `type` at src into dst: float formats inline, block formats
// through engine::dequantize_row.
void decode_row(GgmlType type, const uint8_t* src, float* dst, int64_t n);
// The same values through this CPU's SIMD decoder for the type when it has one.
void decode_row_fast(GgmlType type, const uint8_t* src, float* dst, int64_t n);

}  // namespace engine::cpu
