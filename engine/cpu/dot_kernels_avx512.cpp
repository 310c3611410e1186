// AVX-512 float kernels for attention (four keys against two queries, weighted sums of
// value rows) and the float dots: 16 floats per instruction where AVX2 does 8. The integer
// block dots stay AVX2's, and so does one query against many keys (decode), which measured
// faster with AVX2's 8-wide loads and horizontal adds on the development machine. Compiled
// with target attributes and used only when the CPU reports AVX-512 at run time.

#include "engine/cpu/dot_kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's _mm512_reduce_add_ps extracts halves through an uninitialized merge source,
// which its flow analysis reports as uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace engine::cpu {
namespace {

// Lanes [0, n) of a 16-float block, n < 16.
GLIMPSE_AVX512 inline __mmask16 first(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

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

// Q queries against 32 transposed keys (two 16-float rows per step), masked to nk. Unrolled
// by pragma, as the AVX2 tile, to keep the accumulators out of the stack.
template <int Q>
GLIMPSE_AVX512 inline void scores_t_tile(const float* q, int64_t ldq, const float* kt, int64_t ldk, int64_t nk, int64_t n,
                                         float* out, int64_t ldo) {
    const __mmask16 m0 = lanes(nk), m1 = lanes(nk - 16);
    __m512 acc[Q][2];
#pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (int64_t d = 0; d < n; ++d) {
        const __m512 k0 = _mm512_maskz_loadu_ps(m0, kt + d * ldk), k1 = _mm512_maskz_loadu_ps(m1, kt + d * ldk + 16);
    #pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) {
            const __m512 qd = _mm512_set1_ps(q[r * ldq + d]);
            acc[r][0] = _mm512_fmadd_ps(qd, k0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(qd, k1, acc[r][1]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < Q; ++r) {
        _mm512_mask_storeu_ps(out + r * ldo, m0, acc[r][0]);
        _mm512_mask_storeu_ps(out + r * ldo + 16, m1, acc[r][1]);
    }
}

// Twelve queries per tile: 24 accumulators, 2 key loads and 12 broadcasts per 24 FMAs.
GLIMPSE_AVX512 void scores_t_f32(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk,
                                 int64_t n, float* out, int64_t ldo) {
    for (int64_t j = 0; j < nk; j += 32) {
        int64_t i = 0;
        for (; i + 12 <= nq; i += 12) scores_t_tile<12>(q + i * ldq, ldq, kt + j, ldk, nk - j, n, out + i * ldo + j, ldo);
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
