// Row-wise and elementwise ops: rmsnorm, swiglu, add, softmax.
#include "engine/cuda/block_reduce.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

namespace glimpse_cuda {
namespace {

constexpr int kRowThreads = 256;
constexpr int kThreads = 256;

__global__ void rmsnorm_kernel(const float* x, const float* weight, int64_t dim, float eps, float* out) {
    __shared__ float shared[32];
    const float* row = x + blockIdx.x * dim;
    float* o = out + blockIdx.x * dim;
    float ss = 0.0f;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) ss += row[i] * row[i];
    const float inv = rsqrtf(block_sum(ss, shared) / float(dim) + eps);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i] * inv * weight[i];
}

__global__ void swiglu_kernel(const float* gate, const float* up, int64_t n, float* out) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i < n) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i < n) x[i] += y[i];
}

__global__ void softmax_kernel(float* x, int64_t n) {
    __shared__ float shared[32];
    float* row = x + blockIdx.x * n;
    float m = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, row[i]);
    m = block_max(m, shared);
    float sum = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        row[i] = expf(row[i] - m);
        sum += row[i];
    }
    const float inv = 1.0f / block_sum(sum, shared);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) row[i] *= inv;
}

}  // namespace

int rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out) {
    if (rows <= 0) return 0;
    rmsnorm_kernel<<<static_cast<unsigned>(rows), kRowThreads>>>(x, weight, dim, eps, out);
    return launched("rmsnorm");
}

int swiglu(const float* gate, const float* up, int64_t n, float* out) {
    if (n <= 0) return 0;
    swiglu_kernel<<<blocks_for(n, kThreads), kThreads>>>(gate, up, n, out);
    return launched("swiglu");
}

int add(float* x, const float* y, int64_t n) {
    if (n <= 0) return 0;
    add_kernel<<<blocks_for(n, kThreads), kThreads>>>(x, y, n);
    return launched("add");
}

int softmax_rows(float* x, int64_t rows, int64_t n) {
    if (rows <= 0 || n <= 0) return 0;
    softmax_kernel<<<static_cast<unsigned>(rows), kRowThreads>>>(x, n);
    return launched("softmax");
}

}  // namespace glimpse_cuda
