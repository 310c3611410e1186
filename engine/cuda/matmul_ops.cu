// Weights to f32 (the GGUF block formats the CPU path reads most) and the f32 GEMM through
// cuBLAS. For prefill a layer's weights are dequantized once into scratch and multiplied
// with cuBLAS; the decode path reads the blocks directly (not yet in this plugin).
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

#include <cublas_v2.h>
#include <cuda_fp16.h>

#include <mutex>

namespace glimpse_cuda {
namespace {

constexpr int kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8;
constexpr int kBlock = 32;

__device__ inline float half_at(const uint8_t* p) {
    const unsigned short bits = static_cast<unsigned short>(p[0] | (p[1] << 8));
    return __half2float(__ushort_as_half(bits));
}

// One thread per element; `row_bytes` from the block size of the type.
__global__ void dequantize_kernel(const uint8_t* data, int type, int64_t rows, int64_t cols, int64_t row_bytes,
                                  float* out) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i >= rows * cols) return;
    const int64_t r = i / cols, c = i % cols;
    const uint8_t* row = data + r * row_bytes;
    float value = 0.0f;
    if (type == kF32) {
        value = reinterpret_cast<const float*>(row)[c];
    } else if (type == kF16) {
        value = half_at(row + 2 * c);
    } else {
        const int64_t block = c / kBlock, j = c % kBlock;
        if (type == kQ8_0) {
            const uint8_t* b = row + block * 34;
            value = half_at(b) * float(static_cast<int8_t>(b[2 + j]));
        } else {
            const int bytes = type == kQ4_0 ? 18 : 20;
            const uint8_t* b = row + block * bytes;
            const uint8_t* qs = b + (type == kQ4_0 ? 2 : 4);
            const int q = j < 16 ? (qs[j] & 0x0f) : (qs[j - 16] >> 4);
            value = type == kQ4_0 ? half_at(b) * float(q - 8) : half_at(b) * float(q) + half_at(b + 2);
        }
    }
    out[i] = value;
}

int64_t row_bytes_of(int type, int64_t cols) {
    switch (type) {
        case kF32: return cols * 4;
        case kF16: return cols * 2;
        case kQ4_0: return cols / kBlock * 18;
        case kQ4_1: return cols / kBlock * 20;
        case kQ8_0: return cols / kBlock * 34;
        default: return -1;
    }
}

std::mutex handle_mutex;
cublasHandle_t handle = nullptr;

const char* cublas_text(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_NOT_INITIALIZED: return "cuBLAS not initialized";
        case CUBLAS_STATUS_ALLOC_FAILED: return "cuBLAS could not allocate";
        case CUBLAS_STATUS_INVALID_VALUE: return "cuBLAS invalid value";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "cuBLAS architecture mismatch";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "cuBLAS execution failed";
        default: return "cuBLAS error";
    }
}

}  // namespace

int dequantize(const void* blocks, int ggml_type, int64_t rows, int64_t cols, float* out) {
    const int64_t row_bytes = row_bytes_of(ggml_type, cols);
    if (row_bytes < 0 || (ggml_type >= kQ4_0 && cols % kBlock != 0)) {
        set_error("dequantize: ggml type " + std::to_string(ggml_type) + " with " + std::to_string(cols) +
                  " columns is not supported on the GPU");
        return -1;
    }
    const int64_t n = rows * cols;
    if (n <= 0) return 0;
    dequantize_kernel<<<blocks_for(n, 256), 256>>>(static_cast<const uint8_t*>(blocks), ggml_type, rows, cols,
                                                   row_bytes, out);
    return launched("dequantize");
}

int matmul_f32(const float* w, int64_t w_rows, int64_t cols, const float* x, int64_t n, float* out) {
    std::lock_guard<std::mutex> lock(handle_mutex);
    if (!handle) {
        if (const cublasStatus_t s = cublasCreate(&handle); s != CUBLAS_STATUS_SUCCESS) {
            set_error(std::string("cublasCreate: ") + cublas_text(s));
            handle = nullptr;
            return -1;
        }
    }
    // Row-major out[n][w_rows] is column-major out^T = W x^T: W is stored [w_rows][cols],
    // which column-major reads as W^T with leading dimension cols.
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t s = cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(w_rows), int(n), int(cols), &alpha, w,
                                         int(cols), x, int(cols), &beta, out, int(w_rows));
    if (s != CUBLAS_STATUS_SUCCESS) {
        set_error(std::string("cublasSgemm: ") + cublas_text(s));
        return -1;
    }
    return 0;
}

}  // namespace glimpse_cuda
