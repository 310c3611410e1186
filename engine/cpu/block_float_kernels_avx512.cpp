// AVX-512 float-activation dot kernels for Q4_0, Q4_1 and Q8_0 (the decode hot loop).
// One 512-bit widening covers half a block, so a block costs about half the instructions
// of the AVX2 kernels; rows are still decoded by the AVX2 decoders for prefill.

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/half.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's widening intrinsics pass _mm512_undefined_* as the unused merge source, which
// its flow analysis reports as (maybe-)uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace engine::cpu {
namespace {

GLIMPSE_AVX512 inline __m512 half_splat(const uint8_t* p) {
    return _mm512_set1_ps(_cvtsh_ss(load_u16(p)));
}

// The 16 bytes of a Q4 block widened to 16 int32 lanes; low nibbles are values 0..15 and
// high nibbles values 16..31.
GLIMPSE_AVX512 inline __m512i q4_bytes(const uint8_t* qs) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
}

// One Q4_1 block: acc += d * sum(q * x), offset += m * x (summed at the end).
GLIMPSE_AVX512 inline void q4_1_block(const uint8_t* w, const float* x, __m512& acc, __m512& offset) {
    const __m512i bytes = q4_bytes(w + 4);
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_and_si512(bytes, _mm512_set1_epi32(0x0f)));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(bytes, 4));
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const __m512 block = _mm512_fmadd_ps(hi, x1, _mm512_mul_ps(lo, x0));
    acc = _mm512_fmadd_ps(half_splat(w), block, acc);
    offset = _mm512_fmadd_ps(half_splat(w + 2), _mm512_add_ps(x0, x1), offset);
}

GLIMPSE_AVX512 inline void q4_0_block(const uint8_t* w, const float* x, __m512& acc) {
    const __m512i bytes = q4_bytes(w + 2);
    const __m512i eight = _mm512_set1_epi32(8);
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(bytes, _mm512_set1_epi32(0x0f)), eight));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(bytes, 4), eight));
    const __m512 block = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + 16), _mm512_mul_ps(lo, _mm512_loadu_ps(x)));
    acc = _mm512_fmadd_ps(half_splat(w), block, acc);
}

GLIMPSE_AVX512 inline void q8_0_block(const uint8_t* w, const float* x, __m512& acc) {
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2))));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 18))));
    const __m512 block = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + 16), _mm512_mul_ps(lo, _mm512_loadu_ps(x)));
    acc = _mm512_fmadd_ps(half_splat(w), block, acc);
}

// Two accumulators (even and odd blocks) keep two FMA chains in flight.
GLIMPSE_AVX512 float dot_q4_1(const uint8_t* w, const float* x, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), o0 = _mm512_setzero_ps(), o1 = _mm512_setzero_ps();
    const int64_t nb = n / 32;
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 40, x += 64) {
        q4_1_block(w, x, a0, o0);
        q4_1_block(w + 20, x + 32, a1, o1);
    }
    if (b < nb) q4_1_block(w, x, a0, o0);
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(o0, o1)));
}

GLIMPSE_AVX512 float dot_q4_0(const uint8_t* w, const float* x, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    const int64_t nb = n / 32;
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 36, x += 64) {
        q4_0_block(w, x, a0);
        q4_0_block(w + 18, x + 32, a1);
    }
    if (b < nb) q4_0_block(w, x, a0);
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

GLIMPSE_AVX512 float dot_q8_0(const uint8_t* w, const float* x, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    const int64_t nb = n / 32;
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2, w += 68, x += 64) {
        q8_0_block(w, x, a0);
        q8_0_block(w + 34, x + 32, a1);
    }
    if (b < nb) q8_0_block(w, x, a0);
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

}  // namespace

BlockDot avx512_block_dot(GgmlType type) {
    static const bool supported = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && cpu_has_f16c() && __builtin_cpu_supports("fma");
    }();
    if (!supported) return nullptr;
    switch (type) {
    case GgmlType::Q4_0: return dot_q4_0;
    case GgmlType::Q4_1: return dot_q4_1;
    case GgmlType::Q8_0: return dot_q8_0;
    default: return nullptr;
    }
}

}  // namespace engine::cpu

#else

namespace engine::cpu {
BlockDot avx512_block_dot(GgmlType) { return nullptr; }
}  // namespace engine::cpu

#endif
