#pragma once
// The CPU's inner kernels: dot products of a weight row with activations rounded to integer
// blocks (16-bit for decode; 8-bit only on request), float dots, the transposed-key kernel
// that both the prefill matrix products and attention's scores run on, the transpose that lays
// rows out for it, and softmax terms.
// Kernels are chosen once at run time: AVX-512 or AVX2+FMA where the CPU has them,
// portable code elsewhere.

#include "engine/quant/ggml_type.h"

#include <cstdint>

namespace engine::cpu {

inline constexpr int64_t kQ8BlockSize = 32;

// 32 activations as d * q[i]; s = d * sum(q), for formats with an offset (Q4_1, Q5_1).
struct Q8Block {
    float d;
    float s;
    int8_t q[kQ8BlockSize];
};

// x has n elements, a multiple of 32; out gets n / 32 blocks.
void quantize_activations_q8(const float* x, int64_t n, Q8Block* out);

// 32 activations as d * q[i] with 16-bit q (|q| <= 32767, a step of 1/65534 of the block's
// largest), and their sum in float (for the offset of Q4_1). Decode rounds its one token's
// activations so: the integer dot costs half the float one's instructions, and 16 bits move
// the default model's logits by at most 0.006 (largest 28.5), where 8 bits move greedy answers.
struct Q16Block {
    float d;
    float sum;
    int16_t q[kQ8BlockSize];
};
void quantize_activations_q16(const float* x, int64_t n, Q16Block* out);
using QuantizeQ16 = void (*)(const float* x, int64_t n, Q16Block* out);

using FloatDot = float (*)(const float* w, const float* x, int64_t n);
// y += a * x over n floats.
using FloatAxpy = void (*)(float a, const float* x, float* y, int64_t n);
using Q8Dot = float (*)(const uint8_t* w_row, const Q8Block* x, int64_t n_blocks);
using Q16Dot = float (*)(const uint8_t* w_row, const Q16Block* x, int64_t n_blocks);
// out[j] = dot(q, k + j * stride) over n floats, for j < count (one query against many keys).
using FloatDots = void (*)(const float* q, const float* k, int64_t stride, int64_t count, int64_t n, float* out);
// out[i] += sum_j a[j] * x[j * stride + i] for i < n, j < count (attention's weighted sum of values).
using FloatWeightedSum = void (*)(const float* a, const float* x, int64_t stride, int64_t count, int64_t n, float* out);
// Scores of nq queries (ldq floats apart) against nk keys given transposed: key j's element d
// at kt[d * ldk + j], d < n. out[i * ldo + j] = dot(q_i, key_j). With the keys laid out so,
// each step broadcasts one query element against a row of keys: no horizontal sums. The
// matrix products use it too (tokens as queries, a tile of weight rows transposed as keys).
using FloatScoresT = void (*)(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk,
                              int64_t n, float* out, int64_t ldo);
// The unnormalized terms of a softmax, in place: s[j] = exp(s[j] - m) with m = max(s) over
// n >= 1 floats; returns m and the sum of the new s[j].
struct ExpTerms {
    float max;
    float sum;
};
using FloatExpTerms = ExpTerms (*)(float* s, int64_t n);
// dst[c * ldd + r] = scale * src[r * lds + c] for r < rows, c < cols: rows laid out as the
// transposed-key kernel reads them (a tile of weight rows, attention's keys).
using FloatTranspose = void (*)(const float* src, int64_t lds, int64_t rows, int64_t cols, float scale, float* dst,
                                int64_t ldd);

struct DotKernels {
    FloatDot f32 = nullptr;
    FloatAxpy axpy = nullptr;
    Q8Dot q4_0 = nullptr, q4_1 = nullptr, q5_0 = nullptr, q5_1 = nullptr, q8_0 = nullptr;
    FloatDots f32_dots = nullptr;
    FloatWeightedSum weighted_sum = nullptr;
    FloatScoresT f32_scores_t = nullptr;
    FloatExpTerms exp_terms = nullptr;
    Q16Dot q16_4_0 = nullptr, q16_4_1 = nullptr, q16_8_0 = nullptr;
    QuantizeQ16 quantize_q16 = nullptr;   // quantize_activations_q16, vectorized where the set is
    FloatTranspose transpose = nullptr;
    const char* name = "";

    // The integer kernel for a weight type, or nullptr when it takes the float path.
    Q8Dot q8_kernel(GgmlType type) const;
    // The 16-bit-activation kernel for a weight type (Q4_0, Q4_1, Q8_0), or nullptr.
    Q16Dot q16_kernel(GgmlType type) const;
};

// The best kernels for this CPU (AVX-512, else AVX2, else portable; $GLIMPSE_SIMD=avx2 or
// portable caps the choice: cpu_features.h); `portable_dot_kernels` is the reference they are tested against.
const DotKernels& dot_kernels();
const DotKernels& portable_dot_kernels();
// AVX2 kernels, or nullptr when the CPU or compiler lacks them.
const DotKernels* avx2_dot_kernels();
// AVX2's with AVX-512 float kernels, or nullptr without AVX-512F and DQ (or AVX2).
const DotKernels* avx512_dot_kernels();

}  // namespace engine::cpu
