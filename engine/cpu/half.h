#pragma once
// IEEE half and bfloat16 to float, inline for the inner loops of the CPU kernels.

#include <bit>
#include <cstdint>
#include <cstring>

namespace engine::cpu {

inline float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);          // inf / nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (mant << 13);   // normal: rebias 15 -> 127
    } else if (mant == 0) {
        bits = sign;                                          // zero
    } else {
        // Subnormal half: value = mant * 2^-24.
        float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    return std::bit_cast<float>(bits);
}

inline float bf16_to_float(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

inline float load_half(const uint8_t* p) { return half_to_float(load_u16(p)); }

}  // namespace engine::cpu
