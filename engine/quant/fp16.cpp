// IEEE binary16 and bfloat16 <-> binary32, bit-exact and independent of the host's
// floating-point environment (no F16C needed, no dependence on the rounding mode).

#include "engine/quant/quantize.h"

#include <bit>

namespace engine {

float fp16_to_fp32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    const uint32_t mantissa = h & 0x3FF;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in binary32.
        const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) {
        // Infinity, or NaN with its payload kept and the quiet bit set (as x86 F16C does).
        const uint32_t quiet = mantissa ? 0x00400000u : 0u;
        return std::bit_cast<float>(sign | 0x7F800000u | quiet | (mantissa << 13));
    }
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t fp32_to_fp16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
    const uint32_t magnitude = bits & 0x7FFFFFFF;

    if (magnitude > 0x7F800000) {
        // NaN: keep the top payload bits and make sure it stays a (quiet) NaN.
        return static_cast<uint16_t>(sign | 0x7E00 | ((magnitude >> 13) & 0x3FF));
    }
    // 65520 is halfway between 65504 (the largest half) and 65536; ties go to the even
    // neighbour, which is the overflow, so everything from 65520 up becomes infinity.
    if (magnitude >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);

    if (magnitude >= 0x38800000) {
        // Normal half (>= 2^-14): rebias the exponent, round the 13 dropped mantissa bits.
        uint32_t h = ((((magnitude >> 23) - 112) << 10) | ((magnitude >> 13) & 0x3FF));
        const uint32_t dropped = magnitude & 0x1FFF;
        if (dropped > 0x1000 || (dropped == 0x1000 && (h & 1))) ++h;  // may carry into the exponent
        return static_cast<uint16_t>(sign | h);
    }

    // Subnormal half: the value in units of 2^-24, rounded to nearest even.
    const uint32_t exponent = magnitude >> 23;
    if (exponent < 102) return sign;  // below 2^-25 (binary32 subnormals included): zero
    const uint32_t significand = (magnitude & 0x7FFFFF) | 0x800000;
    const uint32_t shift = 126 - exponent;  // 14 .. 24
    uint32_t h = significand >> shift;
    const uint32_t dropped = significand & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (dropped > half || (dropped == half && (h & 1))) ++h;  // 0x400 is the smallest normal
    return static_cast<uint16_t>(sign | h);
}

float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t fp32_to_bf16(float f) {
    const uint32_t bits = std::bit_cast<uint32_t>(f);
    if ((bits & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);  // quiet NaN
    // Round to nearest even on the 16 dropped bits; a carry correctly overflows to infinity.
    const uint32_t rounding = 0x7FFF + ((bits >> 16) & 1);
    return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace engine
