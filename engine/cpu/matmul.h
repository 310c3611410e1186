#pragma once
// Matrix products with weights kept in their stored format. A task owns a tile of weight
// rows; no more than a tile of rows is ever decoded to floats, once per call.

#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <vector>

namespace engine::cpu {

// Reusable buffers, kept between calls to avoid reallocating per matmul.
struct MatmulScratch {
    std::vector<Q8Block> activations;
    std::vector<Q16Block> activations16;
    std::vector<std::vector<float>> panels;         // one per thread: a tile of rows, column by column
    std::vector<std::vector<float>> decoded_rows;   // one per thread: rows being decoded
};

struct MatmulOptions {
    // Round activations to 8-bit blocks and use integer dots for Q4_0/Q4_1/Q5_x/Q8_0: faster,
    // but it moves small models' logits noticeably, so float activations are the default.
    bool q8_activations = false;
    // Dot kernels to use (nullptr: the best for this CPU); tests pass the portable ones.
    const DotKernels* kernels = nullptr;
    // Use the SIMD block kernels (block_float_kernels.h) where the CPU has them.
    bool block_simd = true;
};

// out[t][r] = sum_c W[r][c] * x[t][c] for t < n_tokens; x: [n_tokens][w.cols], out: [n_tokens][w.rows].
void matmul(ThreadPool& pool, MatmulScratch& scratch, const WeightMatrix& w, const float* x,
            int64_t n_tokens, float* out, const MatmulOptions& options = {});

}  // namespace engine::cpu
