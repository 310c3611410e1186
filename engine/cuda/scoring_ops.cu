// SnapKV's window scores: how much attention the last `window` queries pay each earlier
// key, summed over the query heads of each KV head. Two passes: each window query's softmax
// normaliser over every key it sees (causal), then one thread per earlier key summing its
// normalised weights. Pooling and top-B selection follow on the result.
#include "engine/cuda/block_reduce.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

namespace glimpse_cuda {
namespace {

constexpr int kThreads = 128;

__device__ float dot(const float* a, const float* b, int64_t n) {
    float s = 0.0f;
    for (int64_t d = 0; d < n; ++d) s += a[d] * b[d];
    return s;
}

// Block (w, h): window query w (token n - window + w) of head h; writes its max and sum.
__global__ void normaliser_kernel(const float* q, const float* k, int64_t n, int64_t heads, int64_t kv_heads,
                                  int64_t head_dim, int64_t window, float scale, float2* stats) {
    __shared__ float reduce_s[32];
    const int64_t w = blockIdx.x, h = blockIdx.y, g = h / (heads / kv_heads);
    const int64_t token = n - window + w;
    const float* qv = q + token * heads * head_dim + h * head_dim;
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j <= token; j += blockDim.x)
        m = fmaxf(m, dot(qv, k + j * kv_heads * head_dim + g * head_dim, head_dim) * scale);
    m = block_max(m, reduce_s);
    float l = 0.0f;
    for (int64_t j = threadIdx.x; j <= token; j += blockDim.x)
        l += expf(dot(qv, k + j * kv_heads * head_dim + g * head_dim, head_dim) * scale - m);
    l = block_sum(l, reduce_s);
    if (threadIdx.x == 0) stats[w * heads + h] = make_float2(m, l);
}

// Thread (j, g): key j before the window, KV head g.
__global__ void key_score_kernel(const float* q, const float* k, int64_t n, int64_t heads, int64_t kv_heads,
                                 int64_t head_dim, int64_t window, float scale, const float2* stats, float* scores) {
    const int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x, g = blockIdx.y;
    const int64_t prefix = n - window;
    if (j >= prefix) return;
    const int64_t group = heads / kv_heads;
    const float* kj = k + j * kv_heads * head_dim + g * head_dim;
    float total = 0.0f;
    for (int64_t w = 0; w < window; ++w)
        for (int64_t h = g * group; h < (g + 1) * group; ++h) {
            const float2 s = stats[w * heads + h];
            const float* qv = q + (prefix + w) * heads * head_dim + h * head_dim;
            total += expf(dot(qv, kj, head_dim) * scale - s.x) / s.y;
        }
    scores[g * prefix + j] = total;
}

}  // namespace

int window_scores(const float* q, const float* k, int64_t n, int64_t heads, int64_t kv_heads, int64_t head_dim,
                  int64_t window, float scale, float* scores) {
    if (kv_heads <= 0 || heads % kv_heads != 0 || window <= 0 || window > n) {
        set_error("window scores: " + std::to_string(heads) + " heads over " + std::to_string(kv_heads) +
                  " KV heads, window " + std::to_string(window) + " of " + std::to_string(n) + " tokens");
        return -1;
    }
    if (window == n) return 0;
    float2* stats = nullptr;
    if (failed(cudaMalloc(&stats, sizeof(float2) * size_t(window * heads)), "window scores scratch")) return -1;
    normaliser_kernel<<<dim3(unsigned(window), unsigned(heads)), kThreads>>>(q, k, n, heads, kv_heads, head_dim, window,
                                                                             scale, stats);
    int status = launched("window_scores normaliser");
    if (status == 0) {
        key_score_kernel<<<dim3(unsigned(blocks_for(n - window, kThreads)), unsigned(kv_heads)), kThreads>>>(
            q, k, n, heads, kv_heads, head_dim, window, scale, stats, scores);
        status = launched("window_scores keys");
    }
    cudaFree(stats);   // waits for the kernels that use it
    return status;
}

}  // namespace glimpse_cuda
