#pragma once
// Float-activation kernels for the common block formats: a dot product that widens each
// weight block to floats in registers (decode: one token at a time), and a row decoder
// (prefill: a tile of rows is decoded once and reused across a tile of tokens). Keeping
// activations in float matters: rounding them to 8 bits, as integer kernels do, shifts
// the logits of small models enough to change greedy answers.

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
// The AVX2 kernels alone (nullptr without AVX2+FMA+F16C), and the AVX-512 dot for Q4_0,
// Q4_1 or Q8_0 (nullptr without AVX-512); block_float_kernels picks the widest. Tests
// check each against plain decoding.
const BlockFloatKernels* avx2_block_float_kernels(GgmlType type);
BlockDot avx512_block_dot(GgmlType type);

}  // namespace engine::cpu
