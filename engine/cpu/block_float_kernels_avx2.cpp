// AVX2 + FMA + F16C kernels chosen at run time: row decoders for Q4_0, Q4_1, Q8_0, Q6_K, F16
// and BF16, and float-activation dots for F16 and BF16 (decode's Q4_0, Q4_1 and Q8_0 dots take
// 16-bit activations: dot_kernels.h).

#include "engine/cpu/cpu_features.h"
#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/half.h"

#include <array>

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

// Q6_K super-blocks of 256: ql[128] low nibbles, qh[64] two high bits each, 16 int8 scales,
// half d. Each half of 128 values takes 32 bytes of ql twice and 32 bytes of qh; value
// group g (0..3) of a half holds positions 32g..32g+31 with scales 2g and 2g+1.
GLIMPSE_AVX2 void decode_q6_k(const uint8_t* w, float* out, int64_t n) {
    const __m256i low4 = _mm256_set1_epi8(0x0f), low2 = _mm256_set1_epi8(0x03), bias = _mm256_set1_epi8(32);
    for (int64_t b = 0; b < n / 256; ++b, w += 210) {
        const uint8_t* ql = w;
        const uint8_t* qh = w + 128;
        const auto* scales = reinterpret_cast<const int8_t*>(w + 192);
        const float d = half_at(w + 208);
        for (int half = 0; half < 2; ++half, ql += 64, qh += 32, scales += 8, out += 128) {
            const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
            const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
            const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
            const __m256i groups[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_slli_epi16(_mm256_and_si256(h, low2), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, low4),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), low2), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), low2), 4)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), low2), 4)),
            };
            for (int g = 0; g < 4; ++g) {
                const __m256i q = _mm256_sub_epi8(groups[g], bias);
                const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
                const __m256 s0 = _mm256_set1_ps(d * scales[2 * g]), s1 = _mm256_set1_ps(d * scales[2 * g + 1]);
                float* o = out + 32 * g;
                _mm256_storeu_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), s0));
                _mm256_storeu_ps(o + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), s0));
                _mm256_storeu_ps(o + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), s1));
                _mm256_storeu_ps(o + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), s1));
            }
        }
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
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
    }();
    return yes;
}

}  // namespace

const BlockFloatKernels* avx2_block_float_kernels(GgmlType type) {
    static const BlockFloatKernels q4_0{nullptr, decode_q4_0}, q4_1{nullptr, decode_q4_1}, q8_0{nullptr, decode_q8_0},
        f16{dot_16bit<f16_values, half_to_float>, decode_16bit<f16_values, half_to_float>},
        bf16{dot_16bit<bf16_values, bf16_to_float>, decode_16bit<bf16_values, bf16_to_float>},
        q6_k{nullptr, decode_q6_k};
    if (!has_avx2()) return nullptr;
    switch (type) {
    case GgmlType::Q4_0: return &q4_0;
    case GgmlType::Q4_1: return &q4_1;
    case GgmlType::Q8_0: return &q8_0;
    case GgmlType::F16: return &f16;
    case GgmlType::BF16: return &bf16;
    case GgmlType::Q6_K: return &q6_k;
    default: return nullptr;
    }
}

const BlockFloatKernels* block_float_kernels(GgmlType type) {
    // Chosen once per type: decode calls this for every cached row it reads.
    static const auto chosen = [] {
        std::array<const BlockFloatKernels*, 64> table{};
        if (simd_limit() == SimdLimit::Portable) return table;
        for (uint32_t id = 0; id < table.size(); ++id) table[id] = avx2_block_float_kernels(static_cast<GgmlType>(id));
        return table;
    }();
    const auto id = static_cast<uint32_t>(type);
    return id < chosen.size() ? chosen[id] : nullptr;
}

}  // namespace engine::cpu

#else

namespace engine::cpu {
const BlockFloatKernels* avx2_block_float_kernels(GgmlType) { return nullptr; }
const BlockFloatKernels* block_float_kernels(GgmlType) { return nullptr; }
}  // namespace engine::cpu

#endif
