#pragma once
// Matrix products with weights kept in their stored format. A task owns a tile of weight
// rows and walks the tokens in tiles, so each weight block is read once per token tile;
// no more than a tile of rows is ever decoded to floats.

#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/thread_pool.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <vector>

namespace engine::cpu {

// Reusable buffers, kept between calls to avoid reallocating per matmul.
struct MatmulScratch {
    std::vector<Q8Block> activations;
    std::vector<std::vector<float>> row_tiles;   // one per thread
};

// out[t][r] = sum_c W[r][c] * x[t][c] for t < n_tokens; x: [n_tokens][w.cols], out: [n_tokens][w.rows].
// `kernels` picks the dot kernels (tests compare the SIMD ones with the portable ones).
void matmul(ThreadPool& pool, MatmulScratch& scratch, const WeightMatrix& w, const float* x,
            int64_t n_tokens, float* out, const DotKernels& kernels);
void matmul(ThreadPool& pool, MatmulScratch& scratch, const WeightMatrix& w, const float* x,
            int64_t n_tokens, float* out);

}  // namespace engine::cpu
