#pragma once
// The packed blocks of GGUF weight formats, byte for byte as ggml lays them out.
// Internal to engine/quant: other code sees only bytes and the type table.
//
// Half-precision fields are kept as raw uint16_t bits (little-endian in the file, which is
// also the host order on every platform this engine targets).

#include <cstdint>
#include <cstring>

namespace engine::quant_blocks {

inline constexpr int kLegacyBlock = 32;  // elements per Q4_0 .. Q8_0 block
inline constexpr int kSuperBlock = 256;  // elements per K-quant super-block
inline constexpr int kScaleBytesK = 12;  // packed 6-bit scales and mins of Q4_K / Q5_K

// x = d * (q - 8); element j in the low nibble of qs[j], element j + 16 in the high nibble.
struct BlockQ4_0 {
    uint16_t d;
    uint8_t qs[kLegacyBlock / 2];
};

// x = d * q + m, nibbles as Q4_0.
struct BlockQ4_1 {
    uint16_t d;
    uint16_t m;
    uint8_t qs[kLegacyBlock / 2];
};

// x = d * (q - 16); low four bits as Q4_0, fifth bit of element j is bit j of qh.
struct BlockQ5_0 {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[kLegacyBlock / 2];
};

// x = d * q + m, bits as Q5_0.
struct BlockQ5_1 {
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[kLegacyBlock / 2];
};

// x = d * q.
struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[kLegacyBlock];
};

// 16 sub-blocks of 16: x = d * (scales[s] & 15) * q - dmin * (scales[s] >> 4), q in 0..3.
struct BlockQ2_K {
    uint8_t scales[kSuperBlock / 16];
    uint8_t qs[kSuperBlock / 4];
    uint16_t d;
    uint16_t dmin;
};

// 16 sub-blocks of 16: x = d * (scale - 32) * q, q in -4..3 (two low bits in qs, the third
// bit in hmask, set meaning "no -4 offset"); the 6-bit scales are packed in 12 bytes.
struct BlockQ3_K {
    uint8_t hmask[kSuperBlock / 8];
    uint8_t qs[kSuperBlock / 4];
    uint8_t scales[12];
    uint16_t d;
};

// 8 sub-blocks of 32: x = d * scale * q - dmin * min, q in 0..15, 6-bit scale and min.
struct BlockQ4_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[kScaleBytesK];
    uint8_t qs[kSuperBlock / 2];
};

// As Q4_K with a fifth bit per element in qh (q in 0..31).
struct BlockQ5_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[kScaleBytesK];
    uint8_t qh[kSuperBlock / 8];
    uint8_t qs[kSuperBlock / 2];
};

// 16 sub-blocks of 16: x = d * scales[s] * (q - 32), q in 0..63 (4 bits in ql, 2 in qh).
struct BlockQ6_K {
    uint8_t ql[kSuperBlock / 2];
    uint8_t qh[kSuperBlock / 4];
    int8_t scales[kSuperBlock / 16];
    uint16_t d;
};

// Sizes as ggml_type.cpp's table states them (checked there with static_asserts too).
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);

// Blocks are copied in and out with memcpy: tensor data in a file need not be aligned.
template <typename Block>
Block load_block(const void* blocks, int64_t index) {
    Block block;
    std::memcpy(&block, static_cast<const uint8_t*>(blocks) + index * sizeof(Block), sizeof(Block));
    return block;
}
template <typename Block>
void store_block(void* blocks, int64_t index, const Block& block) {
    std::memcpy(static_cast<uint8_t*>(blocks) + index * sizeof(Block), &block, sizeof(Block));
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K super-block.
struct ScaleMin {
    uint8_t scale;
    uint8_t min;
};
inline ScaleMin unpack_scale_min_k4(const uint8_t* packed, int j) {
    // Sub-blocks 0..3 sit whole in the low six bits of bytes 0..7; 4..7 keep their low
    // four bits in bytes 8..11 and their top two bits in the spare bits of bytes 0..7.
    if (j < 4) return {static_cast<uint8_t>(packed[j] & 63), static_cast<uint8_t>(packed[j + 4] & 63)};
    return {static_cast<uint8_t>((packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4)),
            static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))};
}

// The 6-bit (biased by 32) scale of sub-block j (0..15) of a Q3_K super-block.
inline int unpack_scale_q3_k(const uint8_t* packed, int j) {
    const int low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    return low | (high << 4);
}

}  // namespace engine::quant_blocks
