#pragma once
// SIMD kernels for the common weight formats: a row decoder (prefill: a tile of rows is
// decoded once and reused by every token) and, for F16 and BF16, a dot product that widens
// each weight to float in registers (decode). Activations stay in float here; decode's
// Q4_0, Q4_1 and Q8_0 dots round them to 16-bit blocks instead (dot_kernels.h), never to
// 8 bits, which shifts the logits of small models enough to change greedy answers.

#include "engine/quant/ggml_type.h"

#include <cstdint>

namespace engine::cpu {

using BlockDot = float (*)(const uint8_t* w_row, const float* x, int64_t n);
using BlockDecode = void (*)(const uint8_t* w_row, float* out, int64_t n);

struct BlockFloatKernels {
    BlockDot dot = nullptr;   // may be nullptr: then rows are decoded and dotted as floats
    BlockDecode decode = nullptr;
};

// SIMD kernels for `type` on this CPU, or nullptr (then decode_row and the float dot serve).
const BlockFloatKernels* block_float_kernels(GgmlType type);
// The AVX2 kernels alone (nullptr without AVX2+FMA+F16C); tests check them against plain decoding.
const BlockFloatKernels* avx2_block_float_kernels(GgmlType type);

}  // namespace engine::cpu
