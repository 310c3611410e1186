#include "engine/cpu/row_decode.h"

#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/half.h"
#include "engine/quant/quantize.h"

#include <cstring>

namespace engine::cpu {

void decode_row(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
    switch (type) {
    case GgmlType::F32:
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        return;
    case GgmlType::F16:
        for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(load_u16(src + 2 * i));
        return;
    case GgmlType::BF16:
        for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(load_u16(src + 2 * i));
        return;
    default:
        dequantize_row(type, src, dst, n);
    }
}

void decode_row_fast(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
    const BlockFloatKernels* simd = block_float_kernels(type);
    simd && simd->decode ? simd->decode(src, dst, n) : decode_row(type, src, dst, n);
}

}  // namespace engine::cpu
