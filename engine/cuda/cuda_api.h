/* The C interface of the CUDA plugin (libglimpse_cuda.so). Glimpse loads the plugin with
 * dlopen and never links CUDA itself; this header is all the two sides share, so it uses
 * only C types. Every function returns 0 on success, or -1 with a message in the
 * plugin's last_error(). Buffers are device pointers from alloc(); rows are row-major f32. */
#ifndef GLIMPSE_CUDA_API_H
#define GLIMPSE_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GLIMPSE_CUDA_API_VERSION 1

typedef struct GlimpseCudaDevice {
    char name[256];
    int compute_major;
    int compute_minor;
    size_t total_bytes;
    size_t free_bytes;
    int multiprocessors;
    int driver_version;   /* e.g. 13000 for CUDA 13.0 */
    int runtime_version;
} GlimpseCudaDevice;

/* Attention over one KV head's cache, for the decode kernel: n rows of head_dim floats. */
typedef struct GlimpseCudaKvHead {
    const float* k;
    const float* v;
    int64_t n;
} GlimpseCudaKvHead;

typedef struct GlimpseCudaApi {
    int version;
    const char* (*last_error)(void);

    int (*device_count)(int* count);
    int (*device_info)(int device, GlimpseCudaDevice* out);
    int (*select_device)(int device);

    int (*alloc)(size_t bytes, void** out);
    int (*release)(void* ptr);
    int (*upload)(void* device_dst, const void* host_src, size_t bytes);
    int (*download)(void* host_dst, const void* device_src, size_t bytes);
    int (*synchronize)(void);

    /* out[r] = x[r] / rms(x[r]) * weight, per row of dim. out may be x. */
    int (*rmsnorm)(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out);
    /* Rotates pairs of every head of every row at positions[row] (device int32); style 0:
     * adjacent pairs (2i, 2i+1), 1: halves (i, i + n_freqs). freqs: device, n_freqs floats. */
    int (*rope)(float* x, int64_t rows, int64_t heads, int64_t head_dim, const int32_t* positions,
                const float* freqs, int64_t n_freqs, int style);
    /* out = silu(gate) * up; x += y; in-place softmax of each of rows rows of n. */
    int (*swiglu)(const float* gate, const float* up, int64_t n, float* out);
    int (*add)(float* x, const float* y, int64_t n);
    int (*softmax_rows)(float* x, int64_t rows, int64_t n);
    /* A weight matrix of a GGUF type (ggml type id) as f32 rows: out [rows][cols].
     * Supports F32, F16, Q4_0, Q4_1, Q8_0. */
    int (*dequantize)(const void* blocks, int ggml_type, int64_t rows, int64_t cols, float* out);
    /* out[t][r] = sum_c w[r][c] * x[t][c] with cuBLAS, f32 accumulation. */
    int (*matmul_f32)(const float* w, int64_t w_rows, int64_t cols, const float* x, int64_t n, float* out);
    /* Causal attention of n tokens with GQA, never materialising the score matrix:
     * q [n][heads*head_dim], k, v [n][kv_heads*head_dim], out [n][heads*head_dim]. Query i
     * sees keys 0..=i. */
    int (*attention_prefill)(const float* q, const float* k, const float* v, int64_t n, int64_t heads,
                             int64_t kv_heads, int64_t head_dim, float scale, float* out);
    /* One query token against per-KV-head caches of different lengths (a compressed cache):
     * q [heads*head_dim], cache: device array of kv_heads GlimpseCudaKvHead, out [heads*head_dim]. */
    int (*attention_decode)(const float* q, const GlimpseCudaKvHead* cache, int64_t heads, int64_t kv_heads,
                            int64_t head_dim, int64_t max_n, float scale, float* out);
    /* SnapKV's window scores: for each KV head, the softmax weight the last `window` queries
     * (of every query head sharing it) give each of the n keys before the window, summed.
     * q [n][heads*head_dim] after RoPE, k [n][kv_heads*head_dim], scores [kv_heads][n - window]. */
    int (*window_scores)(const float* q, const float* k, int64_t n, int64_t heads, int64_t kv_heads,
                         int64_t head_dim, int64_t window, float scale, float* scores);
} GlimpseCudaApi;

/* The one symbol the plugin exports. */
typedef const GlimpseCudaApi* (*GlimpseCudaApiEntry)(void);
#define GLIMPSE_CUDA_ENTRY "glimpse_cuda_api"

#ifdef __cplusplus
}
#endif

#endif
