// Rotary position embedding, both pairings the CPU path has (adjacent pairs and halves).
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

namespace glimpse_cuda {
namespace {

// One thread per (row, head, pair). The angle in double, as the CPU reference computes it:
// positions reach 10^5 and float angles would lose the low digits.
__global__ void rope_kernel(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t* positions,
                            const float* freqs, int64_t n_freqs, int style) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i >= rows * heads * n_freqs) return;
    const int64_t pair = i % n_freqs, head = (i / n_freqs) % heads, row = i / (n_freqs * heads);
    const double angle = double(positions[row]) * double(freqs[pair]);
    const float c = float(cos(angle)), s = float(sin(angle));
    const int64_t a = style == 0 ? 2 * pair : pair;
    const int64_t b = style == 0 ? 2 * pair + 1 : pair + n_freqs;
    float* v = x + (row * heads + head) * head_dim;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
}

}  // namespace

int rope(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t* positions, const float* freqs,
         int64_t n_freqs, int style) {
    const int64_t n = rows * heads * n_freqs;
    if (n <= 0) return 0;
    rope_kernel<<<blocks_for(n, 256), 256>>>(x, rows, heads, head_dim, positions, freqs, n_freqs, style);
    return launched("rope");
}

}  // namespace glimpse_cuda
