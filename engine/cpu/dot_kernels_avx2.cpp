// AVX2 + FMA + F16C dot kernels for the formats published models use most (Q4_0, Q4_1, Q8_0 and
// float). Compiled with target attributes so the rest of the library stays portable; used
// only when the CPU reports the features at run time.

#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/cpu_features.h"
#include "engine/cpu/half.h"

#include <algorithm>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace engine::cpu {
namespace {

GLIMPSE_AVX2 inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 32 nibbles of a Q4 block: low nibbles in the first 16 bytes, high nibbles in the last 16.
GLIMPSE_AVX2 inline __m256i unpack_nibbles(const uint8_t* qs) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// Sum of products of unsigned bytes u (< 128) and signed bytes s, as 8 int32 lanes -> floats.
GLIMPSE_AVX2 inline __m256 dot_u8_i8(__m256i u, __m256i s) {
    const __m256i pairs = _mm256_maddubs_epi16(u, s);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Signed by signed: move w's sign onto x so maddubs can take |w| as unsigned.
GLIMPSE_AVX2 inline __m256 dot_i8_i8(__m256i w, __m256i x) {
    return dot_u8_i8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

GLIMPSE_AVX2 inline __m256i load_q(const Q8Block& b) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.q));
}

GLIMPSE_AVX2 float dot_f32(const float* w, const float* x, int64_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; ++i) sum += w[i] * x[i];
    return sum;
}

// Four keys at a time; the four sums are reduced together with horizontal adds.
GLIMPSE_AVX2 void dots_f32(const float* q, const float* k, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t j = 0;
    if (n % 8 == 0) {
        for (; j + 4 <= count; j += 4) {
            const float* k0 = k + j * stride;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            for (int64_t i = 0; i < n; i += 8) {
                const __m256 qv = _mm256_loadu_ps(q + i);
                a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + i), a0);
                a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + stride + i), a1);
                a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 2 * stride + i), a2);
                a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k0 + 3 * stride + i), a3);
            }
            const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            _mm_storeu_ps(out + j, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
        }
    }
    for (; j < count; ++j) out[j] = dot_f32(q, k + j * stride, n);
}

// Up to 32 outputs stay in four registers while the rows stream past.
GLIMPSE_AVX2 void weighted_sum_f32(const float* a, const float* x, int64_t stride, int64_t count, int64_t n, float* out) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 o0 = _mm256_loadu_ps(out + i), o1 = _mm256_loadu_ps(out + i + 8), o2 = _mm256_loadu_ps(out + i + 16),
               o3 = _mm256_loadu_ps(out + i + 24);
        // Odd and even rows go to separate accumulators: eight FMA chains instead of four.
        __m256 e0 = _mm256_setzero_ps(), e1 = _mm256_setzero_ps(), e2 = _mm256_setzero_ps(), e3 = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 2 <= count; j += 2) {
            const __m256 aj = _mm256_set1_ps(a[j]), ak = _mm256_set1_ps(a[j + 1]);
            const float* xj = x + j * stride + i;
            const float* xk = xj + stride;
            o0 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj), o0);
            o1 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 8), o1);
            o2 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 16), o2);
            o3 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 24), o3);
            e0 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(xk), e0);
            e1 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(xk + 8), e1);
            e2 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(xk + 16), e2);
            e3 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(xk + 24), e3);
        }
        if (j < count) {
            const __m256 aj = _mm256_set1_ps(a[j]);
            const float* xj = x + j * stride + i;
            o0 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj), o0);
            o1 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 8), o1);
            o2 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 16), o2);
            o3 = _mm256_fmadd_ps(aj, _mm256_loadu_ps(xj + 24), o3);
        }
        _mm256_storeu_ps(out + i, _mm256_add_ps(o0, e0));
        _mm256_storeu_ps(out + i + 8, _mm256_add_ps(o1, e1));
        _mm256_storeu_ps(out + i + 16, _mm256_add_ps(o2, e2));
        _mm256_storeu_ps(out + i + 24, _mm256_add_ps(o3, e3));
    }
    for (; i < n; ++i) {
        float sum = out[i];
        for (int64_t j = 0; j < count; ++j) sum += a[j] * x[j * stride + i];
        out[i] = sum;
    }
}

// Lanes [0, n) of an 8-float block as a maskload/maskstore mask (n may be 0 or above 8).
GLIMPSE_AVX2 inline __m256i lanes(int64_t n) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<int64_t>(n, 8))), index);
}

// Q queries against 16 transposed keys (two 8-float rows per step); Full: all 16 keys are
// there, so plain loads and stores serve (the matrix products' case), else masked to nk.
// The loops over queries are unrolled by pragma: left to GCC 12, the accumulator array is
// also stored to the stack on every step.
template <int Q, bool Full>
GLIMPSE_AVX2 inline void scores_t_tile(const float* q, int64_t ldq, const float* kt, int64_t ldk, int64_t nk, int64_t n,
                                       float* out, int64_t ldo) {
    const __m256i m0 = lanes(nk), m1 = lanes(nk - 8);
    __m256 acc[Q][2];
#pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t d = 0; d < n; ++d) {
        const float* row = kt + d * ldk;
        const __m256 k0 = Full ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, m0);
        const __m256 k1 = Full ? _mm256_loadu_ps(row + 8) : _mm256_maskload_ps(row + 8, m1);
    #pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) {
            const __m256 qd = _mm256_broadcast_ss(q + r * ldq + d);
            acc[r][0] = _mm256_fmadd_ps(qd, k0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(qd, k1, acc[r][1]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) {
        if (Full) {
            _mm256_storeu_ps(out + r * ldo, acc[r][0]);
            _mm256_storeu_ps(out + r * ldo + 8, acc[r][1]);
        } else {
            _mm256_maskstore_ps(out + r * ldo, m0, acc[r][0]);
            _mm256_maskstore_ps(out + r * ldo + 8, m1, acc[r][1]);
        }
    }
}

// Six queries per tile: 12 accumulators, 2 key loads and 6 broadcasts per 12 FMAs.
template <bool Full>
GLIMPSE_AVX2 void scores_t_columns(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk,
                                   int64_t n, float* out, int64_t ldo) {
    int64_t i = 0;
    for (; i + 6 <= nq; i += 6) scores_t_tile<6, Full>(q + i * ldq, ldq, kt, ldk, nk, n, out + i * ldo, ldo);
    for (; i + 2 <= nq; i += 2) scores_t_tile<2, Full>(q + i * ldq, ldq, kt, ldk, nk, n, out + i * ldo, ldo);
    if (i < nq) scores_t_tile<1, Full>(q + i * ldq, ldq, kt, ldk, nk, n, out + i * ldo, ldo);
}

GLIMPSE_AVX2 void scores_t_f32(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk,
                               int64_t n, float* out, int64_t ldo) {
    for (int64_t j = 0; j < nk; j += 16) {
        if (nk - j >= 16) scores_t_columns<true>(q, ldq, nq, kt + j, ldk, nk - j, n, out + j, ldo);
        else scores_t_columns<false>(q, ldq, nq, kt + j, ldk, nk - j, n, out + j, ldo);
    }
}

// exp(x) for x <= 0 (Cephes' expf: x = k ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial for
// exp(r), 2^k from the exponent bits), within 2 ulp; 0 below ln(FLT_MIN), where 2^k would
// leave the normal range.
GLIMPSE_AVX2 inline __m256 exp_nonpositive(__m256 x) {
    const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365f), _CMP_LT_OQ);
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365f));
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 e_r = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(e_r, _mm256_castsi256_ps(bits)));
}

GLIMPSE_AVX2 ExpTerms exp_terms_f32(float* s, int64_t n) {
    __m256 vmax = _mm256_set1_ps(s[0]);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(s + j));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float max_score = _mm_cvtss_f32(m4);
    for (; j < n; ++j) max_score = std::max(max_score, s[j]);

    const __m256 shift = _mm256_set1_ps(max_score);
    __m256 sum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(s + j), shift));
        _mm256_storeu_ps(s + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (j < n) {
        const __m256i tail = lanes(n - j);
        const __m256 e = _mm256_and_ps(exp_nonpositive(_mm256_sub_ps(_mm256_maskload_ps(s + j, tail), shift)),
                                       _mm256_castsi256_ps(tail));
        _mm256_maskstore_ps(s + j, tail, e);
        sum = _mm256_add_ps(sum, e);
    }
    return {max_score, hsum(sum)};
}

// Blocks of 8 rows by 8 columns through registers (unpack, shuffle, permute), the edges scalar.
GLIMPSE_AVX2 void transpose_f32(const float* src, int64_t lds, int64_t rows, int64_t cols, float scale, float* dst,
                                int64_t ldd) {
    const __m256 sv = _mm256_set1_ps(scale);
    int64_t r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) {
        int64_t c0 = 0;
        for (; c0 + 8 <= cols; c0 += 8) {
            __m256 x[8];
            for (int i = 0; i < 8; ++i) x[i] = _mm256_mul_ps(sv, _mm256_loadu_ps(src + (r0 + i) * lds + c0));
            const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
            const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
            const __m256 t4 = _mm256_unpacklo_ps(x[4], x[5]), t5 = _mm256_unpackhi_ps(x[4], x[5]);
            const __m256 t6 = _mm256_unpacklo_ps(x[6], x[7]), t7 = _mm256_unpackhi_ps(x[6], x[7]);
            const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
            const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
            const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
            const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
            const __m256 y[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                                 _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                                 _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                                 _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
            for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (c0 + i) * ldd + r0, y[i]);
        }
        for (; c0 < cols; ++c0)
            for (int64_t r = r0; r < r0 + 8; ++r) dst[c0 * ldd + r] = scale * src[r * lds + c0];
    }
    for (; r0 < rows; ++r0)
        for (int64_t c = 0; c < cols; ++c) dst[c * ldd + r0] = scale * src[r0 * lds + c];
}

GLIMPSE_AVX2 void axpy_f32(float a, const float* x, float* y, int64_t n) {
    const __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}

GLIMPSE_AVX2 float dot_q4_0(const uint8_t* w, const Q8Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b, w += 18) {
        const __m256i q = _mm256_sub_epi8(unpack_nibbles(w + 2), _mm256_set1_epi8(8));
        const __m256 scale = _mm256_set1_ps(load_half(w) * x[b].d);
        acc = _mm256_fmadd_ps(scale, dot_i8_i8(q, load_q(x[b])), acc);
    }
    return hsum(acc);
}

GLIMPSE_AVX2 float dot_q4_1(const uint8_t* w, const Q8Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 20) {
        const __m256 scale = _mm256_set1_ps(load_half(w) * x[b].d);
        acc = _mm256_fmadd_ps(scale, dot_u8_i8(unpack_nibbles(w + 4), load_q(x[b])), acc);
        offset += load_half(w + 2) * x[b].s;
    }
    return hsum(acc) + offset;
}

GLIMPSE_AVX2 float dot_q8_0(const uint8_t* w, const Q8Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b, w += 34) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
        const __m256 scale = _mm256_set1_ps(load_half(w) * x[b].d);
        acc = _mm256_fmadd_ps(scale, dot_i8_i8(q, load_q(x[b])), acc);
    }
    return hsum(acc);
}

// 16-bit activations: weights widened to 16-bit lanes, multiplied and pair-summed by madd
// into exact 32-bit sums (|w| <= 128, |x| <= 32767: at most 2^24 per lane), scaled per block.
GLIMPSE_AVX2 inline __m256i load_q16(const Q16Block& b, int half) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.q + 16 * half));
}

// The 32 values of a Q4 block as two vectors of 16 int16 (positions 0-15, then 16-31). Each
// byte is widened once and split in its 16-bit lane: one widening shuffle per block instead
// of two (21% less time on a 1536x576 Q4_1 matrix).
GLIMPSE_AVX2 inline void q4_words(const uint8_t* qs, __m256i& lo, __m256i& hi) {
    const __m256i bytes = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    lo = _mm256_and_si256(bytes, _mm256_set1_epi16(0x0f));
    hi = _mm256_srli_epi16(bytes, 4);
}

GLIMPSE_AVX2 inline __m256 block_sum16(__m256i w_lo, __m256i w_hi, const Q16Block& x) {
    return _mm256_cvtepi32_ps(
        _mm256_add_epi32(_mm256_madd_epi16(w_lo, load_q16(x, 0)), _mm256_madd_epi16(w_hi, load_q16(x, 1))));
}

GLIMPSE_AVX2 float dot16_q4_0(const uint8_t* w, const Q16Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi16(8);
    for (int64_t b = 0; b < nb; ++b, w += 18) {
        __m256i lo, hi;
        q4_words(w + 2, lo, hi);
        const __m256 sum = block_sum16(_mm256_sub_epi16(lo, eight), _mm256_sub_epi16(hi, eight), x[b]);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(w)) * x[b].d), sum, acc);
    }
    return hsum(acc);
}

GLIMPSE_AVX2 float dot16_q4_1(const uint8_t* w, const Q16Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 20) {
        __m256i lo, hi;
        q4_words(w + 4, lo, hi);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(w)) * x[b].d), block_sum16(lo, hi, x[b]), acc);
        offset += _cvtsh_ss(load_u16(w + 2)) * x[b].sum;   // w = d*q + m: m times the activations' sum
    }
    return hsum(acc) + offset;
}

GLIMPSE_AVX2 float dot16_q8_0(const uint8_t* w, const Q16Block* x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b, w += 34) {
        const __m256i lo = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2)));
        const __m256i hi = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 18)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(load_u16(w)) * x[b].d), block_sum16(lo, hi, x[b]), acc);
    }
    return hsum(acc);
}

// quantize_activations_q16 with the same rounding (to nearest, ties to even: the default
// mode, as nearbyint); a value rounding to 32768 saturates to 32767 in the pack, as clamped there.
GLIMPSE_AVX2 void quantize_q16(const float* x, int64_t n, Q16Block* out) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / kQ8BlockSize; ++b, x += kQ8BlockSize) {
        __m256 v[4];
        for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
        const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                                       _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        const float d = amax / 32767.0f;
        const __m256 inv = _mm256_set1_ps(d > 0.0f ? 1.0f / d : 0.0f);
        __m256i q[4];
        for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], inv));
        // packs interleaves 128-bit lanes: put the quarters back in order.
        const __m256i lo = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xd8);
        const __m256i hi = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[2], q[3]), 0xd8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].q), lo);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].q + 16), hi);
        out[b].d = d;
        // The sum in the portable function's order, so that both sets give the same offsets.
        float sum = 0.0f;
        for (int j = 0; j < kQ8BlockSize; ++j) sum += x[j];
        out[b].sum = sum;
    }
}

}  // namespace

const DotKernels* avx2_dot_kernels() {
    static const DotKernels* chosen = [] () -> const DotKernels* {
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || !cpu_has_f16c()) return nullptr;
        const DotKernels& portable = portable_dot_kernels();
        static const DotKernels kernels{dot_f32, axpy_f32, dot_q4_0, dot_q4_1, portable.q5_0, portable.q5_1, dot_q8_0, dots_f32, weighted_sum_f32, scores_t_f32, exp_terms_f32, dot16_q4_0, dot16_q4_1, dot16_q8_0, quantize_q16, transpose_f32, "avx2"};
        return &kernels;
    }();
    return chosen;
}

}  // namespace engine::cpu

#else

namespace engine::cpu {
const DotKernels* avx2_dot_kernels() { return nullptr; }
}  // namespace engine::cpu

#endif
