// AVX2 + FMA + F16C float-activation kernels for Q4_0, Q4_1, Q8_0, F16 and BF16, chosen at run time.

#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/half.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace engine::cpu {
namespace {

// Block scales are IEEE halves; F16C converts them in one instruction.
GLIMPSE_AVX2 inline float half_at(const uint8_t* p) { return _cvtsh_ss(load_u16(p)); }

GLIMPSE_AVX2 inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The 32 quantized values of a Q4 block as four vectors of 8 floats (q, before scaling).
struct Q4Floats {
    __m256 v[4];
};

GLIMPSE_AVX2 inline Q4Floats q4_values(const uint8_t* qs, int offset) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(packed, mask), _mm_set1_epi8(static_cast<char>(offset)));
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), _mm_set1_epi8(static_cast<char>(offset)));
    return {{_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)),
             _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))),
             _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)),
             _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))}};
}

GLIMPSE_AVX2 inline __m256 q8_values(const uint8_t* qs, int part) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * part));
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
}

GLIMPSE_AVX2 float dot_q4_0(const uint8_t* w, const float* x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b, w += 18, x += 32) {
        const Q4Floats q = q4_values(w + 2, 8);
        __m256 block = _mm256_mul_ps(q.v[0], _mm256_loadu_ps(x));
        for (int i = 1; i < 4; ++i) block = _mm256_fmadd_ps(q.v[i], _mm256_loadu_ps(x + 8 * i), block);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(w)), block, acc);
    }
    return hsum(acc);
}

GLIMPSE_AVX2 float dot_q4_1(const uint8_t* w, const float* x, int64_t n) {
    __m256 acc = _mm256_setzero_ps(), offset = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b, w += 20, x += 32) {
        const Q4Floats q = q4_values(w + 4, 0);
        const __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8), x2 = _mm256_loadu_ps(x + 16),
                     x3 = _mm256_loadu_ps(x + 24);
        __m256 block = _mm256_mul_ps(q.v[0], x0);
        block = _mm256_fmadd_ps(q.v[1], x1, block);
        block = _mm256_fmadd_ps(q.v[2], x2, block);
        block = _mm256_fmadd_ps(q.v[3], x3, block);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(w)), block, acc);
        // w = d*q + m, so the offset adds m times the block's activation sum.
        const __m256 xsum = _mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3));
        offset = _mm256_fmadd_ps(_mm256_set1_ps(half_at(w + 2)), xsum, offset);
    }
    return hsum(_mm256_add_ps(acc, offset));
}

GLIMPSE_AVX2 float dot_q8_0(const uint8_t* w, const float* x, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b, w += 34, x += 32) {
        __m256 block = _mm256_mul_ps(q8_values(w + 2, 0), _mm256_loadu_ps(x));
        for (int i = 1; i < 4; ++i) block = _mm256_fmadd_ps(q8_values(w + 2, i), _mm256_loadu_ps(x + 8 * i), block);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(w)), block, acc);
    }
    return hsum(acc);
}

GLIMPSE_AVX2 void decode_q4_0(const uint8_t* w, float* out, int64_t n) {
    for (int64_t b = 0; b < n / 32; ++b, w += 18, out += 32) {
        const Q4Floats q = q4_values(w + 2, 8);
        const __m256 d = _mm256_set1_ps(half_at(w));
        for (int i = 0; i < 4; ++i) _mm256_storeu_ps(out + 8 * i, _mm256_mul_ps(q.v[i], d));
    }
}

GLIMPSE_AVX2 void decode_q4_1(const uint8_t* w, float* out, int64_t n) {
    for (int64_t b = 0; b < n / 32; ++b, w += 20, out += 32) {
        const Q4Floats q = q4_values(w + 4, 0);
        const __m256 d = _mm256_set1_ps(half_at(w)), m = _mm256_set1_ps(half_at(w + 2));
        for (int i = 0; i < 4; ++i) _mm256_storeu_ps(out + 8 * i, _mm256_fmadd_ps(q.v[i], d, m));
    }
}

GLIMPSE_AVX2 void decode_q8_0(const uint8_t* w, float* out, int64_t n) {
    for (int64_t b = 0; b < n / 32; ++b, w += 34, out += 32) {
        const __m256 d = _mm256_set1_ps(half_at(w));
        for (int i = 0; i < 4; ++i) _mm256_storeu_ps(out + 8 * i, _mm256_mul_ps(q8_values(w + 2, i), d));
    }
}

// F16 and BF16 rows: 8 values widened per step.
GLIMPSE_AVX2 inline __m256 f16_values(const uint8_t* w) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
}

GLIMPSE_AVX2 inline __m256 bf16_values(const uint8_t* w) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

template <__m256 (*Values)(const uint8_t*), float (*Scalar)(uint16_t)>
GLIMPSE_AVX2 float dot_16bit(const uint8_t* w, const float* x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(Values(w + 2 * i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(Values(w + 2 * i + 16), _mm256_loadu_ps(x + i + 8), a1);
    }
    float sum = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) sum += Scalar(load_u16(w + 2 * i)) * x[i];
    return sum;
}

template <__m256 (*Values)(const uint8_t*), float (*Scalar)(uint16_t)>
GLIMPSE_AVX2 void decode_16bit(const uint8_t* w, float* out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, Values(w + 2 * i));
    for (; i < n; ++i) out[i] = Scalar(load_u16(w + 2 * i));
}

bool has_avx2() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }();
    return yes;
}

}  // namespace

const BlockFloatKernels* block_float_kernels(GgmlType type) {
    static const BlockFloatKernels q4_0{dot_q4_0, decode_q4_0}, q4_1{dot_q4_1, decode_q4_1}, q8_0{dot_q8_0, decode_q8_0},
        f16{dot_16bit<f16_values, half_to_float>, decode_16bit<f16_values, half_to_float>},
        bf16{dot_16bit<bf16_values, bf16_to_float>, decode_16bit<bf16_values, bf16_to_float>};
    if (!has_avx2()) return nullptr;
    switch (type) {
    case GgmlType::Q4_0: return &q4_0;
    case GgmlType::Q4_1: return &q4_1;
    case GgmlType::Q8_0: return &q8_0;
    case GgmlType::F16: return &f16;
    case GgmlType::BF16: return &bf16;
    default: return nullptr;
    }
}

}  // namespace engine::cpu

#else

namespace engine::cpu {
const BlockFloatKernels* block_float_kernels(GgmlType) { return nullptr; }
}  // namespace engine::cpu

#endif
