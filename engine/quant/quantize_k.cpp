// Encoders of the 256-element super-block formats Q2_K, Q3_K, Q4_K, Q5_K and Q6_K.
//
// Each sub-block gets its own best-fit scale (and min) from subblock_fit; those are then
// stored as small integers times the super-block's fp16 d (and dmin). A few candidate
// units d are tried, and for each the integers around every sub-block's ideal values;
// the combination with the smallest squared error wins.
// Finally every element takes its nearest level on the grid the stored numbers describe,
// so the levels always match what the decoder will reconstruct.

#include "engine/quant/block_codecs.h"
#include "engine/quant/block_layouts.h"
#include "engine/quant/quantize.h"
#include "engine/quant/subblock_fit.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace engine::quant_codecs {

using namespace quant_blocks;
using quant_fit::AffineGrid;

namespace {

// Levels and stored scales of one super-block, before they are packed into bits.
struct AffineSuperBlock {
    uint16_t d = 0, dmin = 0;
    int scale[16] = {};
    int min[16] = {};
    int q[kSuperBlock] = {};
};

struct SymmetricSuperBlock {
    uint16_t d = 0;
    int scale[16] = {};
    int q[kSuperBlock] = {};
};

// The integers to try for value / unit, clamped to lo .. hi: the two around it, and with
// `reach` 1 also one more on each side (a neighbour further out can suit the sub-block's
// levels better).
struct Neighbours {
    int first;
    int last;
};
Neighbours neighbours(float value, float unit, int lo, int hi, int reach) {
    if (unit == 0.0f || !std::isfinite(value / unit)) return {0, 0};
    const float below = std::floor(value / unit);
    const auto clamp = [&](float v) { return static_cast<int>(std::clamp(v, static_cast<float>(lo), static_cast<float>(hi))); };
    return {clamp(below - static_cast<float>(reach)), clamp(below + 1.0f + static_cast<float>(reach))};
}

// Super-block units to try: the one that fits the widest sub-block, rounded to the nearest
// fp16 and one fp16 step further from zero (for small weights these are subnormals, where
// rounding down clips), then smaller ones that clip the widest sub-block but give every
// other sub-block finer steps, which pays when one sub-block holds an outlier.
constexpr float kUnitShrink[] = {1.0f, 1.0f, 0.85f, 0.7f, 0.55f};
uint16_t unit_candidate(float exact, int index) {
    const uint16_t h = fp32_to_fp16(exact * kUnitShrink[index]);
    if (index != 1 || (h & 0x7FFF) >= 0x7BFF) return h;
    return static_cast<uint16_t>(h + 1);
}

// Chooses the stored scale (and min) of every sub-block for out.d (and out.dmin); returns
// the squared error of the super-block.
double store_affine(const float* x, const AffineGrid* fits, int sub_size, int top, int scale_top, int reach,
                    AffineSuperBlock& out) {
    const float d = fp16_to_fp32(out.d);
    const float dmin = fp16_to_fp32(out.dmin);
    double total_error = 0.0;
    for (int s = 0; s < kSuperBlock / sub_size; ++s) {
        const float* xs = x + s * sub_size;
        const Neighbours sc = neighbours(fits[s].scale, d, 0, scale_top, reach);
        const Neighbours mn = neighbours(fits[s].min, dmin, 0, scale_top, reach);
        double best_error = INFINITY;
        for (int scale = sc.first; scale <= sc.last; ++scale) {
            for (int min = mn.first; min <= mn.last; ++min) {
                // The grid exactly as the decoder computes it.
                const AffineGrid grid{d * static_cast<float>(scale), dmin * static_cast<float>(min)};
                const double error = quant_fit::affine_error(xs, sub_size, grid, top);
                if (error < best_error) {
                    best_error = error;
                    out.scale[s] = scale;
                    out.min[s] = min;
                }
            }
        }
        total_error += best_error;
    }
    return total_error;
}

// x ~ d * scale[s] * q - dmin * min[s], q in 0 .. top, scale and min in 0 .. scale_top.
AffineSuperBlock encode_affine(const float* x, int sub_size, int top, int scale_top) {
    AffineGrid fits[16];
    float max_scale = 0.0f, max_min = 0.0f;
    for (int s = 0; s < kSuperBlock / sub_size; ++s) {
        fits[s] = quant_fit::fit_affine(x + s * sub_size, sub_size, top);
        max_scale = std::max(max_scale, fits[s].scale);
        max_min = std::max(max_min, fits[s].min);
    }
    const float exact_d = max_scale / static_cast<float>(scale_top);
    const float exact_dmin = max_min / static_cast<float>(scale_top);

    // Pick d, then dmin, with a quick search each; then the stored integers with a wider one.
    AffineSuperBlock best, candidate;
    best.dmin = unit_candidate(exact_dmin, 0);
    double best_error = INFINITY;
    for (bool choosing_d : {true, false}) {
        for (int i = 0; i < static_cast<int>(std::size(kUnitShrink)); ++i) {
            candidate.d = choosing_d ? unit_candidate(exact_d, i) : best.d;
            candidate.dmin = choosing_d ? best.dmin : unit_candidate(exact_dmin, i);
            const double error = store_affine(x, fits, sub_size, top, scale_top, 0, candidate);
            if (error < best_error) {
                best_error = error;
                best = candidate;
            }
        }
    }
    store_affine(x, fits, sub_size, top, scale_top, 1, best);

    const float d = fp16_to_fp32(best.d), dmin = fp16_to_fp32(best.dmin);
    for (int s = 0; s < kSuperBlock / sub_size; ++s) {
        const AffineGrid grid{d * static_cast<float>(best.scale[s]), dmin * static_cast<float>(best.min[s])};
        for (int i = s * sub_size; i < (s + 1) * sub_size; ++i) best.q[i] = quant_fit::affine_level(x[i], grid, top);
    }
    return best;
}

// Chooses the stored signed scale of every 16-element sub-block for out.d; returns the
// squared error of the super-block.
double store_symmetric(const float* x, const float* fits, int lowest, int highest, int scale_lowest, int reach,
                       SymmetricSuperBlock& out) {
    const float d = fp16_to_fp32(out.d);
    double total_error = 0.0;
    for (int s = 0; s < kSuperBlock / 16; ++s) {
        const float* xs = x + s * 16;
        const Neighbours sc = neighbours(fits[s], d, scale_lowest, -scale_lowest - 1, reach);
        double best_error = INFINITY;
        for (int scale = sc.first; scale <= sc.last; ++scale) {
            const double error = quant_fit::symmetric_error(xs, 16, d * static_cast<float>(scale), lowest, highest);
            if (error < best_error) {
                best_error = error;
                out.scale[s] = scale;
            }
        }
        total_error += best_error;
    }
    return total_error;
}

// x ~ d * scale[s] * q, q in lowest .. highest, scale in scale_lowest .. -scale_lowest - 1.
SymmetricSuperBlock encode_symmetric(const float* x, int lowest, int highest, int scale_lowest) {
    float fits[kSuperBlock / 16];
    float widest = 0.0f;
    for (int s = 0; s < kSuperBlock / 16; ++s) {
        fits[s] = quant_fit::fit_symmetric(x + s * 16, 16, lowest, highest);
        if (std::fabs(fits[s]) > std::fabs(widest)) widest = fits[s];
    }
    // The widest sub-block scale takes the extra negative integer, as q does within a sub-block.
    const float exact_d = widest / static_cast<float>(scale_lowest);

    SymmetricSuperBlock best, candidate;
    double best_error = INFINITY;
    for (int i = 0; i < static_cast<int>(std::size(kUnitShrink)); ++i) {
        candidate.d = unit_candidate(exact_d, i);
        const double error = store_symmetric(x, fits, lowest, highest, scale_lowest, 0, candidate);
        if (error < best_error) {
            best_error = error;
            best = candidate;
        }
    }
    store_symmetric(x, fits, lowest, highest, scale_lowest, 1, best);

    const float d = fp16_to_fp32(best.d);
    for (int s = 0; s < kSuperBlock / 16; ++s) {
        const float step = d * static_cast<float>(best.scale[s]);
        for (int i = s * 16; i < (s + 1) * 16; ++i) best.q[i] = quant_fit::symmetric_level(x[i], step, lowest, highest);
    }
    return best;
}

// Q4_K / Q5_K: 6-bit scale and min of eight sub-blocks in 12 bytes (see unpack_scale_min_k4).
void pack_scale_min_k4(const int (&scale)[16], const int (&min)[16], uint8_t (&packed)[kScaleBytesK]) {
    for (int j = 0; j < 4; ++j) {
        packed[j] = static_cast<uint8_t>(scale[j]);
        packed[j + 4] = static_cast<uint8_t>(min[j]);
    }
    for (int j = 4; j < 8; ++j) {
        packed[j + 4] = static_cast<uint8_t>((scale[j] & 0x0F) | ((min[j] & 0x0F) << 4));
        packed[j - 4] |= static_cast<uint8_t>((scale[j] >> 4) << 6);
        packed[j] |= static_cast<uint8_t>((min[j] >> 4) << 6);
    }
}

// Q4_K / Q5_K: the low four bits of sub-blocks 2p and 2p + 1 share bytes 32p .. 32p + 31.
void pack_low_nibbles_k(const int (&q)[kSuperBlock], uint8_t (&qs)[kSuperBlock / 2]) {
    for (int p = 0; p < 4; ++p)
        for (int l = 0; l < 32; ++l)
            qs[32 * p + l] = static_cast<uint8_t>((q[64 * p + l] & 0x0F) | ((q[64 * p + 32 + l] & 0x0F) << 4));
}

}  // namespace

void quantize_q2_k(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kSuperBlock) {
        const AffineSuperBlock sb = encode_affine(src, 16, 3, 15);
        BlockQ2_K block{};
        block.d = sb.d;
        block.dmin = sb.dmin;
        for (int s = 0; s < 16; ++s) block.scales[s] = static_cast<uint8_t>(sb.scale[s] | (sb.min[s] << 4));
        for (int e = 0; e < kSuperBlock; ++e) {
            const int half = e / 128, pair = (e % 128) / 32, lane = e % 32;
            block.qs[32 * half + lane] |= static_cast<uint8_t>(sb.q[e] << (2 * pair));
        }
        store_block(dst, b, block);
    }
}

void quantize_q3_k(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kSuperBlock) {
        const SymmetricSuperBlock sb = encode_symmetric(src, -4, 3, -32);
        BlockQ3_K block{};
        block.d = sb.d;
        for (int s = 0; s < 16; ++s) {
            const int biased = sb.scale[s] + 32;
            if (s < 8)
                block.scales[s] |= static_cast<uint8_t>(biased & 0x0F);
            else
                block.scales[s - 8] |= static_cast<uint8_t>((biased & 0x0F) << 4);
            block.scales[8 + s % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (s / 4)));
        }
        for (int e = 0; e < kSuperBlock; ++e) {
            // q + 4 in 0..7: two low bits in qs, the third (set for q >= 0) in hmask.
            const int biased = sb.q[e] + 4;
            const int half = e / 128, pair = (e % 128) / 32, lane = e % 32;
            block.qs[32 * half + lane] |= static_cast<uint8_t>((biased & 3) << (2 * pair));
            block.hmask[lane] |= static_cast<uint8_t>((biased >> 2) << (4 * half + pair));
        }
        store_block(dst, b, block);
    }
}

void quantize_q4_k(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kSuperBlock) {
        const AffineSuperBlock sb = encode_affine(src, 32, 15, 63);
        BlockQ4_K block{};
        block.d = sb.d;
        block.dmin = sb.dmin;
        pack_scale_min_k4(sb.scale, sb.min, block.scales);
        pack_low_nibbles_k(sb.q, block.qs);
        store_block(dst, b, block);
    }
}

void quantize_q5_k(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kSuperBlock) {
        const AffineSuperBlock sb = encode_affine(src, 32, 31, 63);
        BlockQ5_K block{};
        block.d = sb.d;
        block.dmin = sb.dmin;
        pack_scale_min_k4(sb.scale, sb.min, block.scales);
        pack_low_nibbles_k(sb.q, block.qs);
        for (int e = 0; e < kSuperBlock; ++e)
            block.qh[e % 32] |= static_cast<uint8_t>(((sb.q[e] >> 4) & 1) << (e / 32));
        store_block(dst, b, block);
    }
}

void quantize_q6_k(const float* src, void* dst, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; ++b, src += kSuperBlock) {
        const SymmetricSuperBlock sb = encode_symmetric(src, -32, 31, -128);
        BlockQ6_K block{};
        block.d = sb.d;
        for (int s = 0; s < 16; ++s) block.scales[s] = static_cast<int8_t>(sb.scale[s]);
        for (int e = 0; e < kSuperBlock; ++e) {
            // q + 32 in 0..63: four low bits in ql, two high bits in qh (see dequantize_q6_k).
            const int biased = sb.q[e] + 32;
            const int half = e / 128, quarter = (e % 128) / 32, lane = e % 32;
            block.ql[64 * half + 32 * (quarter % 2) + lane] |= static_cast<uint8_t>((biased & 0x0F) << (4 * (quarter / 2)));
            block.qh[32 * half + lane] |= static_cast<uint8_t>((biased >> 4) << (2 * quarter));
        }
        store_block(dst, b, block);
    }
}

}  // namespace engine::quant_codecs
