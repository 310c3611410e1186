// Encoders of the 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0.
//
// These follow ggml's reference rounding (max-abs scale for the symmetric formats, min-max
// for the offset ones), so a tensor quantized here gets the same bytes as llama.cpp's
// reference quantizer gives it; the test checks that against gguf-py.

#include "engine/quant/block_codecs.h"
#include "engine/quant/block_layouts.h"
#include "engine/quant/quantize.h"

#include <algorithm>
#include <cmath>

namespace engine::quant_codecs {

using namespace quant_blocks;

namespace {

constexpr int kHalf = kLegacyBlock / 2;

// t truncated toward zero into 0 .. top (NaN gives 0), as ggml's (int8_t) cast then MIN.
int truncate_level(float t, int top) {
    if (!(t > 0.0f)) return 0;
    if (t >= static_cast<float>(top)) return top;
    return static_cast<int>(t);
}

// The first element of largest magnitude, with its sign.
float signed_abs_max(const float* x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kLegacyBlock; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

struct Range {
    float min;
    float max;
};
Range value_range(const float* x) {
    Range r{x[0], x[0]};
    for (int j = 1; j < kLegacyBlock; ++j) {
        r.min = std::min(r.min, x[j]);
        r.max = std::max(r.max, x[j]);
    }
    return r;
}

// roundf (halves away from zero, as ggml rounds) into -127 .. 127; NaN gives 0. Done by
// hand because std::round is a library call in this hot loop; t - trunc(t) is exact.
int8_t round_level_q8(float t) {
    if (!(t == t)) return 0;
    t = std::clamp(t, -127.0f, 127.0f);
    int level = static_cast<int>(t);
    const float fraction = t - static_cast<float>(level);
    if (fraction >= 0.5f) ++level;
    if (fraction <= -0.5f) --level;
    return static_cast<int8_t>(level);
}

float inverse_or_zero(float d) { return d != 0.0f ? 1.0f / d : 0.0f; }

void pack_high_bits(const int (&q)[kLegacyBlock], uint8_t (&qh)[4]) {
    uint32_t bits = 0;
    for (int j = 0; j < kLegacyBlock; ++j) bits |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(bits >> (8 * k));
}

template <size_t N>
void pack_nibbles(const int (&q)[kLegacyBlock], uint8_t (&qs)[N]) {
    static_assert(N == kHalf);
    for (int j = 0; j < kHalf; ++j) qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + kHalf] & 0x0F) << 4));
}

}  // namespace

void quantize_q4_0(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kLegacyBlock) {
        // The largest magnitude maps to -8, the level with no positive twin.
        const float d = signed_abs_max(src) / -8.0f;
        const float id = inverse_or_zero(d);
        int q[kLegacyBlock];
        for (int j = 0; j < kLegacyBlock; ++j) q[j] = truncate_level(src[j] * id + 8.5f, 15);
        BlockQ4_0 block{};
        block.d = fp32_to_fp16(d);
        pack_nibbles(q, block.qs);
        store_block(dst, b, block);
    }
}

void quantize_q4_1(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kLegacyBlock) {
        const Range r = value_range(src);
        const float d = (r.max - r.min) / 15.0f;
        const float id = inverse_or_zero(d);
        int q[kLegacyBlock];
        for (int j = 0; j < kLegacyBlock; ++j) q[j] = truncate_level((src[j] - r.min) * id + 0.5f, 15);
        BlockQ4_1 block{};
        block.d = fp32_to_fp16(d);
        block.m = fp32_to_fp16(r.min);
        pack_nibbles(q, block.qs);
        store_block(dst, b, block);
    }
}

void quantize_q5_0(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kLegacyBlock) {
        const float d = signed_abs_max(src) / -16.0f;
        const float id = inverse_or_zero(d);
        int q[kLegacyBlock];
        for (int j = 0; j < kLegacyBlock; ++j) q[j] = truncate_level(src[j] * id + 16.5f, 31);
        BlockQ5_0 block{};
        block.d = fp32_to_fp16(d);
        pack_high_bits(q, block.qh);
        pack_nibbles(q, block.qs);
        store_block(dst, b, block);
    }
}

void quantize_q5_1(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kLegacyBlock) {
        const Range r = value_range(src);
        const float d = (r.max - r.min) / 31.0f;
        const float id = inverse_or_zero(d);
        int q[kLegacyBlock];
        for (int j = 0; j < kLegacyBlock; ++j) q[j] = truncate_level((src[j] - r.min) * id + 0.5f, 31);
        BlockQ5_1 block{};
        block.d = fp32_to_fp16(d);
        block.m = fp32_to_fp16(r.min);
        pack_high_bits(q, block.qh);
        pack_nibbles(q, block.qs);
        store_block(dst, b, block);
    }
}

void quantize_q8_0(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kLegacyBlock) {
        float amax = 0.0f;
        for (int j = 0; j < kLegacyBlock; ++j) amax = std::max(amax, std::fabs(src[j]));
        const float d = amax / 127.0f;
        const float id = inverse_or_zero(d);
        BlockQ8_0 block{};
        block.d = fp32_to_fp16(d);
        for (int j = 0; j < kLegacyBlock; ++j) block.qs[j] = round_level_q8(src[j] * id);
        store_block(dst, b, block);
    }
}

}  // namespace engine::quant_codecs
