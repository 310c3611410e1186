// Decoders of the 256-element super-block formats Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
//
// Each sub-block's scale (and min) is decoded once, then each element from its own position
// in the block, with ggml's arithmetic in ggml's order; a product and the following difference are separate statements so no
// compiler fuses them into one FMA (which would round differently).

#include "engine/quant/block_codecs.h"
#include "engine/quant/block_layouts.h"
#include "engine/quant/quantize.h"

namespace engine::quant_codecs {

using namespace quant_blocks;

void dequantize_q2_k(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kSuperBlock) {
        const auto block = load_block<BlockQ2_K>(src, b);
        const float d = fp16_to_fp32(block.d);
        const float dmin = fp16_to_fp32(block.dmin);
        for (int s = 0; s < 16; ++s) {
            const float scale = d * static_cast<float>(block.scales[s] & 0x0F);
            const float min = dmin * static_cast<float>(block.scales[s] >> 4);
            for (int e = 16 * s; e < 16 * s + 16; ++e) {
                // Each half of 128 elements uses 32 bytes; bit pair j of byte l is element 32j + l.
                const int half = e / 128, pair = (e % 128) / 32, lane = e % 32;
                const int q = (block.qs[32 * half + lane] >> (2 * pair)) & 3;
                const float scaled = scale * static_cast<float>(q);
                dst[e] = scaled - min;
            }
        }
    }
}

void dequantize_q3_k(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kSuperBlock) {
        const auto block = load_block<BlockQ3_K>(src, b);
        const float d = fp16_to_fp32(block.d);
        for (int s = 0; s < 16; ++s) {
            const float scale = d * static_cast<float>(unpack_scale_q3_k(block.scales, s) - 32);
            for (int e = 16 * s; e < 16 * s + 16; ++e) {
                // Low two bits as in Q2_K; the third bit of element 32j + l of half h is bit
                // 4h + j of hmask[l], and a clear bit means "subtract 4".
                const int half = e / 128, pair = (e % 128) / 32, lane = e % 32;
                const int low = (block.qs[32 * half + lane] >> (2 * pair)) & 3;
                const int high_set = (block.hmask[lane] >> (4 * half + pair)) & 1;
                const int q = low - (high_set ? 0 : 4);
                dst[e] = scale * static_cast<float>(q);
            }
        }
    }
}

void dequantize_q4_k(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kSuperBlock) {
        const auto block = load_block<BlockQ4_K>(src, b);
        const float d = fp16_to_fp32(block.d);
        const float dmin = fp16_to_fp32(block.dmin);
        for (int s = 0; s < 8; ++s) {
            const ScaleMin sm = unpack_scale_min_k4(block.scales, s);
            const float scale = d * static_cast<float>(sm.scale);
            const float min = dmin * static_cast<float>(sm.min);
            // Sub-blocks 2p and 2p + 1 share bytes 32p .. 32p + 31: low nibble, high nibble.
            const uint8_t* bytes = block.qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int lane = 0; lane < 32; ++lane) {
                const int q = (bytes[lane] >> shift) & 0x0F;
                const float scaled = scale * static_cast<float>(q);
                dst[32 * s + lane] = scaled - min;
            }
        }
    }
}

void dequantize_q5_k(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kSuperBlock) {
        const auto block = load_block<BlockQ5_K>(src, b);
        const float d = fp16_to_fp32(block.d);
        const float dmin = fp16_to_fp32(block.dmin);
        for (int s = 0; s < 8; ++s) {
            const ScaleMin sm = unpack_scale_min_k4(block.scales, s);
            const float scale = d * static_cast<float>(sm.scale);
            const float min = dmin * static_cast<float>(sm.min);
            // Low four bits as in Q4_K; the fifth bit of sub-block s, lane l is bit s of qh[l].
            const uint8_t* bytes = block.qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int lane = 0; lane < 32; ++lane) {
                const int q = ((bytes[lane] >> shift) & 0x0F) | (((block.qh[lane] >> s) & 1) << 4);
                const float scaled = scale * static_cast<float>(q);
                dst[32 * s + lane] = scaled - min;
            }
        }
    }
}

void dequantize_q6_k(const void* src, float* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, dst += kSuperBlock) {
        const auto block = load_block<BlockQ6_K>(src, b);
        const float d = fp16_to_fp32(block.d);
        for (int s = 0; s < 16; ++s) {
            const float scale = d * static_cast<float>(block.scales[s]);
            for (int e = 16 * s; e < 16 * s + 16; ++e) {
                // Half h has 64 ql bytes and 32 qh bytes. Quarter k (32 elements) takes nibble
                // k / 2 of ql[64h + 32(k % 2) + l] and bit pair k of qh[32h + l].
                const int half = e / 128, quarter = (e % 128) / 32, lane = e % 32;
                const uint8_t low_byte = block.ql[64 * half + 32 * (quarter % 2) + lane];
                const int low = (low_byte >> (4 * (quarter / 2))) & 0x0F;
                const int high = (block.qh[32 * half + lane] >> (2 * quarter)) & 3;
                const int q = (low | (high << 4)) - 32;
                dst[e] = scale * static_cast<float>(q);
            }
        }
    }
}

}  // namespace engine::quant_codecs
