// Attention without a score matrix: one thread block per (query, head) walks the keys in
// tiles, keeping the running maximum, the running sum and the weighted values (online
// softmax). Prefill is causal with grouped-query heads; decode reads per-KV-head caches of
// different lengths (a compressed cache keeps different tokens per head).
#include "engine/cuda/block_reduce.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

namespace glimpse_cuda {
namespace {

constexpr int kTile = 128;          // keys per tile = threads per block
constexpr int kMaxHeadDim = 256;

// The block's query against keys [0, n) at k + j * stride (values likewise); writes
// head_dim outputs. All threads of the block take part.
__device__ void attend(const float* q, const float* k, const float* v, int64_t stride, int64_t n, int64_t head_dim,
                       float scale, float* out) {
    __shared__ float q_s[kMaxHeadDim];
    __shared__ float p_s[kTile];
    __shared__ float reduce_s[32];
    __shared__ float acc_s[kMaxHeadDim];
    for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) {
        q_s[d] = q[d];
        acc_s[d] = 0.0f;
    }
    __syncthreads();
    float m = -INFINITY, l = 0.0f;
    for (int64_t start = 0; start < n; start += kTile) {
        const int64_t j = start + threadIdx.x;
        float s = -INFINITY;
        if (j < n) {
            const float* kj = k + j * stride;
            float dot = 0.0f;
            for (int64_t d = 0; d < head_dim; ++d) dot += q_s[d] * kj[d];
            s = dot * scale;
        }
        const float tile_max = block_max(s, reduce_s);
        const float new_m = fmaxf(m, tile_max);
        const float p = j < n ? expf(s - new_m) : 0.0f;
        p_s[threadIdx.x] = p;
        const float tile_sum = block_sum(p, reduce_s);
        const float correction = expf(m - new_m);   // 0 on the first tile (m = -inf)
        l = l * correction + tile_sum;
        m = new_m;
        __syncthreads();
        const int64_t tile_n = min(int64_t(kTile), n - start);
        for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) {
            float a = acc_s[d] * correction;
            for (int64_t t = 0; t < tile_n; ++t) a += p_s[t] * v[(start + t) * stride + d];
            acc_s[d] = a;
        }
        __syncthreads();
    }
    for (int64_t d = threadIdx.x; d < head_dim; d += blockDim.x) out[d] = n > 0 ? acc_s[d] / l : 0.0f;
}

// Block (i, h): query token i, head h.
__global__ void prefill_kernel(const float* q, const float* k, const float* v, int64_t heads, int64_t kv_heads,
                               int64_t head_dim, float scale, float* out) {
    const int64_t i = blockIdx.x, h = blockIdx.y, g = h / (heads / kv_heads);
    const int64_t q_stride = heads * head_dim, kv_stride = kv_heads * head_dim;
    attend(q + i * q_stride + h * head_dim, k + g * head_dim, v + g * head_dim, kv_stride, i + 1, head_dim, scale,
           out + i * q_stride + h * head_dim);
}

__global__ void decode_kernel(const float* q, const GlimpseCudaKvHead* cache, int64_t heads, int64_t kv_heads,
                              int64_t head_dim, float scale, float* out) {
    const int64_t h = blockIdx.x, g = h / (heads / kv_heads);
    const GlimpseCudaKvHead c = cache[g];
    attend(q + h * head_dim, c.k, c.v, head_dim, c.n, head_dim, scale, out + h * head_dim);
}

bool shapes_ok(int64_t heads, int64_t kv_heads, int64_t head_dim, const char* what) {
    if (head_dim > 0 && head_dim <= kMaxHeadDim && kv_heads > 0 && heads % kv_heads == 0) return true;
    set_error(std::string(what) + ": " + std::to_string(heads) + " heads over " + std::to_string(kv_heads) +
              " KV heads of dimension " + std::to_string(head_dim) + " are not supported on the GPU");
    return false;
}

}  // namespace

int attention_prefill(const float* q, const float* k, const float* v, int64_t n, int64_t heads, int64_t kv_heads,
                      int64_t head_dim, float scale, float* out) {
    if (!shapes_ok(heads, kv_heads, head_dim, "attention")) return -1;
    if (n <= 0) return 0;
    prefill_kernel<<<dim3(unsigned(n), unsigned(heads)), kTile>>>(q, k, v, heads, kv_heads, head_dim, scale, out);
    return launched("attention_prefill");
}

int attention_decode(const float* q, const GlimpseCudaKvHead* cache, int64_t heads, int64_t kv_heads, int64_t head_dim,
                     int64_t, float scale, float* out) {
    if (!shapes_ok(heads, kv_heads, head_dim, "decode attention")) return -1;
    decode_kernel<<<unsigned(heads), kTile>>>(q, cache, heads, kv_heads, head_dim, scale, out);
    return launched("attention_decode");
}

}  // namespace glimpse_cuda
