// The ops the plugin's table points to, one .cu per family.
#pragma once

#include "engine/cuda/cuda_api.h"

#include <cstdint>

namespace glimpse_cuda {

// elementwise_ops.cu
int rmsnorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out);
int swiglu(const float* gate, const float* up, int64_t n, float* out);
int add(float* x, const float* y, int64_t n);
int softmax_rows(float* x, int64_t rows, int64_t n);
// rope_ops.cu
int rope(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t* positions, const float* freqs,
         int64_t n_freqs, int style);
// matmul_ops.cu
int dequantize(const void* blocks, int ggml_type, int64_t rows, int64_t cols, float* out);
int matmul_f32(const float* w, int64_t w_rows, int64_t cols, const float* x, int64_t n, float* out);
// attention_ops.cu
int attention_prefill(const float* q, const float* k, const float* v, int64_t n, int64_t heads, int64_t kv_heads,
                      int64_t head_dim, float scale, float* out);
int attention_decode(const float* q, const GlimpseCudaKvHead* cache, int64_t heads, int64_t kv_heads, int64_t head_dim,
                     int64_t max_n, float scale, float* out);
// scoring_ops.cu
int window_scores(const float* q, const float* k, int64_t n, int64_t heads, int64_t kv_heads, int64_t head_dim,
                  int64_t window, float scale, float* scores);

}  // namespace glimpse_cuda
