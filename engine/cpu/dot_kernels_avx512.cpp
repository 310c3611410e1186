// AVX-512 float kernels for attention (four keys against two queries, weighted sums of
// value rows) and the float dots: 16 floats per instruction where AVX2 does 8. The integer
// block dots stay AVX2's, and so does one query against many keys (decode), which measured
// faster with AVX2's 8-wide loads and horizontal adds on the development machine. Compiled
// with target attributes and used only when the CPU reports AVX-512 at run time.

#include "engine/cpu/dot_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_AVX512 __attribute__((target("avx512f,avx512dq,fma")))

namespace engine::cpu {
namespace {

// Lanes [0, n) of a 16-float block, n < 16.
GLIMPSE_AVX512 inline __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// The sums of four accumulators, reduced together: halves added, then two rounds of
// horizontal adds, instead of four separate reductions.
GLIMPSE_AVX512 inline __m256 half(__m512 v) { return _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)); }

GLIMPSE_AVX512 inline __m128 sum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(half(a0), half(a1)), _mm256_hadd_ps(half(a2), half(a3)));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

GLIMPSE_AVX512 float dot_f32(const float* w, const float* x, int64_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    if (i < n) {
        const __mmask16 m = first(n - i);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, x + i), a1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

GLIMPSE_AVX512 void dot_f32_4x2(const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t n, float* out) {
    __m512 acc[8];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : first(n - i);
        const __m512 x0 = _mm512_maskz_loadu_ps(m, x + i), x1 = _mm512_maskz_loadu_ps(m, x + ldx + i);
        for (int r = 0; r < 4; ++r) {
            const __m512 wr = _mm512_maskz_loadu_ps(m, w + r * ldw + i);
            acc[r] = _mm512_fmadd_ps(wr, x0, acc[r]);
            acc[4 + r] = _mm512_fmadd_ps(wr, x1, acc[4 + r]);
        }
    }
    _mm_storeu_ps(out, sum4(acc[0], acc[1], acc[2], acc[3]));
    _mm_storeu_ps(out + 4, sum4(acc[4], acc[5], acc[6], acc[7]));
}

GLIMPSE_AVX512 void axpy_f32(float a, const float* x, float* y, int64_t n) {
    const __m512 av = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = first(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

// Up to 64 outputs stay in four registers while the rows stream past; odd and even rows
// feed separate accumulators (eight FMA chains).
GLIMPSE_AVX512 void weighted_sum_f32(const float* a, const float* x, int64_t stride, int64_t count, int64_t n, float* out) {
    for (int64_t i = 0; i < n; i += 64) {
        __mmask16 m[4];
        for (int r = 0; r < 4; ++r) {
            const int64_t left = n - i - 16 * r;
            m[r] = left >= 16 ? __mmask16(0xffff) : left > 0 ? first(left) : __mmask16(0);
        }
        __m512 o[4], e[4];
        for (int r = 0; r < 4; ++r) {
            o[r] = _mm512_maskz_loadu_ps(m[r], out + i + 16 * r);
            e[r] = _mm512_setzero_ps();
        }
        int64_t j = 0;
        for (; j + 2 <= count; j += 2) {
            const __m512 aj = _mm512_set1_ps(a[j]), ak = _mm512_set1_ps(a[j + 1]);
            const float* xj = x + j * stride + i;
            const float* xk = xj + stride;
            for (int r = 0; r < 4; ++r) {
                o[r] = _mm512_fmadd_ps(aj, _mm512_maskz_loadu_ps(m[r], xj + 16 * r), o[r]);
                e[r] = _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(m[r], xk + 16 * r), e[r]);
            }
        }
        if (j < count) {
            const __m512 aj = _mm512_set1_ps(a[j]);
            const float* xj = x + j * stride + i;
            for (int r = 0; r < 4; ++r) o[r] = _mm512_fmadd_ps(aj, _mm512_maskz_loadu_ps(m[r], xj + 16 * r), o[r]);
        }
        for (int r = 0; r < 4; ++r) _mm512_mask_storeu_ps(out + i + 16 * r, m[r], _mm512_add_ps(o[r], e[r]));
    }
}

// Lanes [0, n) of a 16-float block for any n (0 or above 16 included).
GLIMPSE_AVX512 inline __mmask16 lanes(int64_t n) { return n >= 16 ? __mmask16(0xffff) : n > 0 ? first(n) : __mmask16(0); }

// Q queries against 32 transposed keys (two 16-float rows per step), masked to nk.
template <int Q>
GLIMPSE_AVX512 inline void scores_t_tile(const float* q, int64_t ldq, const float* kt, int64_t ldk, int64_t nk, int64_t n,
                                         float* out, int64_t ldo) {
    const __mmask16 m0 = lanes(nk), m1 = lanes(nk - 16);
    __m512 acc[Q][2];
    for (int r = 0; r < Q; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t d = 0; d < n; ++d) {
        const __m512 k0 = _mm512_maskz_loadu_ps(m0, kt + d * ldk), k1 = _mm512_maskz_loadu_ps(m1, kt + d * ldk + 16);
        for (int r = 0; r < Q; ++r) {
            const __m512 qd = _mm512_set1_ps(q[r * ldq + d]);
            acc[r][0] = _mm512_fmadd_ps(qd, k0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(qd, k1, acc[r][1]);
        }
    }
    for (int r = 0; r < Q; ++r) {
        _mm512_mask_storeu_ps(out + r * ldo, m0, acc[r][0]);
        _mm512_mask_storeu_ps(out + r * ldo + 16, m1, acc[r][1]);
    }
}

GLIMPSE_AVX512 void scores_t_f32(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk,
                                 int64_t n, float* out, int64_t ldo) {
    for (int64_t j = 0; j < nk; j += 32) {
        int64_t i = 0;
        for (; i + 4 <= nq; i += 4) scores_t_tile<4>(q + i * ldq, ldq, kt + j, ldk, nk - j, n, out + i * ldo + j, ldo);
        for (; i < nq; ++i) scores_t_tile<1>(q + i * ldq, ldq, kt + j, ldk, nk - j, n, out + i * ldo + j, ldo);
    }
}

}  // namespace

const DotKernels* avx512_dot_kernels() {
    static const DotKernels* chosen = []() -> const DotKernels* {
        const DotKernels* avx2 = avx2_dot_kernels();
        __builtin_cpu_init();
        if (!avx2 || !__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq")) return nullptr;
        static DotKernels kernels = *avx2;
        kernels.f32 = dot_f32;
        kernels.f32_4x2 = dot_f32_4x2;
        kernels.axpy = axpy_f32;
        kernels.weighted_sum = weighted_sum_f32;
        kernels.f32_scores_t = scores_t_f32;
        kernels.name = "avx512";
        return &kernels;
    }();
    return chosen;
}

}  // namespace engine::cpu

#else

namespace engine::cpu {
const DotKernels* avx512_dot_kernels() { return nullptr; }
}  // namespace engine::cpu

#endif
