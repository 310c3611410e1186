// Plain C++ dot kernels: the fallback on any CPU and the reference for the SIMD ones.

#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/cpu_features.h"
#include "engine/cpu/half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace engine::cpu {
namespace {

float dot_f32(const float* w, const float* x, int64_t n) {
    float acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] += w[i + j] * x[i + j];
    float sum = 0.0f;
    for (; i < n; ++i) sum += w[i] * x[i];
    for (float a : acc) sum += a;
    return sum;
}

void dots_f32(const float* q, const float* k, int64_t stride, int64_t count, int64_t n, float* out) {
    for (int64_t j = 0; j < count; ++j) out[j] = dot_f32(q, k + j * stride, n);
}

void weighted_sum_f32(const float* a, const float* x, int64_t stride, int64_t count, int64_t n, float* out) {
    for (int64_t j = 0; j < count; ++j)
        for (int64_t i = 0; i < n; ++i) out[i] += a[j] * x[j * stride + i];
}

void scores_t_f32(const float* q, int64_t ldq, int64_t nq, const float* kt, int64_t ldk, int64_t nk, int64_t n,
                  float* out, int64_t ldo) {
    // Over d outermost, so that the inner loop runs along a row of keys (and vectorizes).
    for (int64_t i = 0; i < nq; ++i) {
        float* o = out + i * ldo;
        std::fill(o, o + nk, 0.0f);
        for (int64_t d = 0; d < n; ++d) {
            const float qd = q[i * ldq + d];
            const float* k = kt + d * ldk;
            for (int64_t j = 0; j < nk; ++j) o[j] += qd * k[j];
        }
    }
}

ExpTerms exp_terms_f32(float* s, int64_t n) {
    const float max_score = *std::max_element(s, s + n);
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += (s[j] = std::exp(s[j] - max_score));
    return {max_score, sum};
}

void transpose_f32(const float* src, int64_t lds, int64_t rows, int64_t cols, float scale, float* dst, int64_t ldd) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) dst[c * ldd + r] = scale * src[r * lds + c];
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Block layouts (ggml): Q4_0 {half d; u8 qs[16]}, Q4_1 {half d, m; u8 qs[16]},
// Q5_0 {half d; u32 qh; u8 qs[16]}, Q5_1 {half d, m; u32 qh; u8 qs[16]}, Q8_0 {half d; i8 qs[32]}.
// Element j < 16 is the low nibble of qs[j], element j + 16 its high nibble; Q5 adds bit j of qh.

float dot_q4_0(const uint8_t* w, const Q8Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 18) {
        const uint8_t* qs = w + 2;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            isum += ((qs[j] & 0x0f) - 8) * x[b].q[j];
            isum += ((qs[j] >> 4) - 8) * x[b].q[j + 16];
        }
        sum += load_half(w) * x[b].d * static_cast<float>(isum);
    }
    return sum;
}

float dot_q4_1(const uint8_t* w, const Q8Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 20) {
        const uint8_t* qs = w + 4;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            isum += (qs[j] & 0x0f) * x[b].q[j];
            isum += (qs[j] >> 4) * x[b].q[j + 16];
        }
        sum += load_half(w) * x[b].d * static_cast<float>(isum) + load_half(w + 2) * x[b].s;
    }
    return sum;
}

float dot_q5_0(const uint8_t* w, const Q8Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 22) {
        uint32_t qh;
        std::memcpy(&qh, w + 2, 4);
        const uint8_t* qs = w + 6;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            int lo = (qs[j] & 0x0f) | (((qh >> j) & 1u) << 4);
            int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4);
            isum += (lo - 16) * x[b].q[j] + (hi - 16) * x[b].q[j + 16];
        }
        sum += load_half(w) * x[b].d * static_cast<float>(isum);
    }
    return sum;
}

float dot_q5_1(const uint8_t* w, const Q8Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 24) {
        uint32_t qh;
        std::memcpy(&qh, w + 4, 4);
        const uint8_t* qs = w + 8;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) {
            int lo = (qs[j] & 0x0f) | (((qh >> j) & 1u) << 4);
            int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4);
            isum += lo * x[b].q[j] + hi * x[b].q[j + 16];
        }
        sum += load_half(w) * x[b].d * static_cast<float>(isum) + load_half(w + 2) * x[b].s;
    }
    return sum;
}

float dot_q8_0(const uint8_t* w, const Q8Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 34) {
        const auto* qs = reinterpret_cast<const int8_t*>(w + 2);
        int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += qs[j] * x[b].q[j];
        sum += load_half(w) * x[b].d * static_cast<float>(isum);
    }
    return sum;
}

// 16-bit activations: exact integer sums per block, scaled once.
float dot16_q4_0(const uint8_t* w, const Q16Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 18) {
        const uint8_t* qs = w + 2;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += ((qs[j] & 0x0f) - 8) * x[b].q[j] + ((qs[j] >> 4) - 8) * x[b].q[j + 16];
        sum += load_half(w) * x[b].d * static_cast<float>(isum);
    }
    return sum;
}

float dot16_q4_1(const uint8_t* w, const Q16Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 20) {
        const uint8_t* qs = w + 4;
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j) isum += (qs[j] & 0x0f) * x[b].q[j] + (qs[j] >> 4) * x[b].q[j + 16];
        sum += load_half(w) * x[b].d * static_cast<float>(isum) + load_half(w + 2) * x[b].sum;
    }
    return sum;
}

float dot16_q8_0(const uint8_t* w, const Q16Block* x, int64_t nb) {
    float sum = 0.0f;
    for (int64_t b = 0; b < nb; ++b, w += 34) {
        const auto* qs = reinterpret_cast<const int8_t*>(w + 2);
        int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += qs[j] * x[b].q[j];
        sum += load_half(w) * x[b].d * static_cast<float>(isum);
    }
    return sum;
}

}  // namespace

void quantize_activations_q8(const float* x, int64_t n, Q8Block* out) {
    for (int64_t b = 0; b < n / kQ8BlockSize; ++b) {
        const float* xb = x + b * kQ8BlockSize;
        float amax = 0.0f;
        for (int j = 0; j < kQ8BlockSize; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float inv = d > 0.0f ? 1.0f / d : 0.0f;
        int32_t qsum = 0;
        for (int j = 0; j < kQ8BlockSize; ++j) {
            const int q = static_cast<int>(std::nearbyint(xb[j] * inv));
            out[b].q[j] = static_cast<int8_t>(q);
            qsum += q;
        }
        out[b].d = d;
        out[b].s = d * static_cast<float>(qsum);
    }
}

void quantize_activations_q16(const float* x, int64_t n, Q16Block* out) {
    for (int64_t b = 0; b < n / kQ8BlockSize; ++b) {
        const float* xb = x + b * kQ8BlockSize;
        float amax = 0.0f, sum = 0.0f;
        for (int j = 0; j < kQ8BlockSize; ++j) {
            amax = std::fmax(amax, std::fabs(xb[j]));
            sum += xb[j];
        }
        const float d = amax / 32767.0f;
        const float inv = d > 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < kQ8BlockSize; ++j)
            out[b].q[j] = static_cast<int16_t>(std::clamp(std::nearbyint(xb[j] * inv), -32767.0f, 32767.0f));
        out[b].d = d;
        out[b].sum = sum;
    }
}

Q16Dot DotKernels::q16_kernel(GgmlType type) const {
    switch (type) {
    case GgmlType::Q4_0: return q16_4_0;
    case GgmlType::Q4_1: return q16_4_1;
    case GgmlType::Q8_0: return q16_8_0;
    default: return nullptr;
    }
}

Q8Dot DotKernels::q8_kernel(GgmlType type) const {
    switch (type) {
    case GgmlType::Q4_0: return q4_0;
    case GgmlType::Q4_1: return q4_1;
    case GgmlType::Q5_0: return q5_0;
    case GgmlType::Q5_1: return q5_1;
    case GgmlType::Q8_0: return q8_0;
    default: return nullptr;
    }
}

const DotKernels& portable_dot_kernels() {
    static const DotKernels kernels{dot_f32, axpy_f32, dot_q4_0, dot_q4_1, dot_q5_0, dot_q5_1, dot_q8_0, dots_f32, weighted_sum_f32, scores_t_f32, exp_terms_f32, dot16_q4_0, dot16_q4_1, dot16_q8_0, quantize_activations_q16, transpose_f32, "portable"};
    return kernels;
}

const DotKernels& dot_kernels() {
    static const DotKernels& chosen = [] () -> const DotKernels& {
        const SimdLimit limit = simd_limit();
        if (limit == SimdLimit::Avx512 && avx512_dot_kernels()) return *avx512_dot_kernels();
        if (limit != SimdLimit::Portable && avx2_dot_kernels()) return *avx2_dot_kernels();
        return portable_dot_kernels();
    }();
    return chosen;
}

}  // namespace engine::cpu
