// Decoders of the 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0.
//
// The arithmetic is ggml's, operation for operation, so a published file decodes to the
// same floats. A product and the following sum are separate statements so no compiler
// fuses them into one FMA (which would round differently).

#include "engine/quant/block_codecs.h"
#include "engine/quant/block_layouts.h"
#include "engine/quant/quantize.h"

namespace engine::quant_codecs {

using namespace quant_blocks;

namespace {

// The fifth bits of a Q5 block: bit j belongs to element j.
uint32_t high_bits(const uint8_t (&qh)[4]) {
    return static_cast<uint32_t>(qh[0]) | (static_cast<uint32_t>(qh[1]) << 8) |
           (static_cast<uint32_t>(qh[2]) << 16) | (static_cast<uint32_t>(qh[3]) << 24);
}

constexpr int kHalf = kLegacyBlock / 2;

}  // namespace

void dequantize_q4_0(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kLegacyBlock) {
        const auto block = load_block<BlockQ4_0>(src, b);
        const float d = fp16_to_fp32(block.d);
        for (int j = 0; j < kHalf; ++j) {
            dst[j] = static_cast<float>((block.qs[j] & 0x0F) - 8) * d;
            dst[j + kHalf] = static_cast<float>((block.qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantize_q4_1(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kLegacyBlock) {
        const auto block = load_block<BlockQ4_1>(src, b);
        const float d = fp16_to_fp32(block.d);
        const float m = fp16_to_fp32(block.m);
        for (int j = 0; j < kHalf; ++j) {
            const float low = static_cast<float>(block.qs[j] & 0x0F) * d;
            const float high = static_cast<float>(block.qs[j] >> 4) * d;
            dst[j] = low + m;
            dst[j + kHalf] = high + m;
        }
    }
}

void dequantize_q5_0(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kLegacyBlock) {
        const auto block = load_block<BlockQ5_0>(src, b);
        const float d = fp16_to_fp32(block.d);
        const uint32_t qh = high_bits(block.qh);
        for (int j = 0; j < kHalf; ++j) {
            const int low = (block.qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4);
            const int high = (block.qs[j] >> 4) | static_cast<int>(((qh >> (j + kHalf)) & 1) << 4);
            dst[j] = static_cast<float>(low - 16) * d;
            dst[j + kHalf] = static_cast<float>(high - 16) * d;
        }
    }
}

void dequantize_q5_1(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kLegacyBlock) {
        const auto block = load_block<BlockQ5_1>(src, b);
        const float d = fp16_to_fp32(block.d);
        const float m = fp16_to_fp32(block.m);
        const uint32_t qh = high_bits(block.qh);
        for (int j = 0; j < kHalf; ++j) {
            const int low = (block.qs[j] & 0x0F) | static_cast<int>(((qh >> j) & 1) << 4);
            const int high = (block.qs[j] >> 4) | static_cast<int>(((qh >> (j + kHalf)) & 1) << 4);
            const float low_scaled = static_cast<float>(low) * d;
            const float high_scaled = static_cast<float>(high) * d;
            dst[j] = low_scaled + m;
            dst[j + kHalf] = high_scaled + m;
        }
    }
}

void dequantize_q8_0(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kLegacyBlock) {
        const auto block = load_block<BlockQ8_0>(src, b);
        const float d = fp16_to_fp32(block.d);
        for (int j = 0; j < kLegacyBlock; ++j) dst[j] = static_cast<float>(block.qs[j]) * d;
    }
}

}  // namespace engine::quant_codecs
