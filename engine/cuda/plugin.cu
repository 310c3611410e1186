// The plugin's entry: devices, buffers and the table of ops (cuda_api.h).
#include "engine/cuda/cuda_api.h"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_status.cuh"

#include <cstdio>
#include <cstring>

namespace glimpse_cuda {
namespace {

thread_local std::string last_error_text;

int device_count(int* count) {
    *count = 0;
    return failed(cudaGetDeviceCount(count), "cudaGetDeviceCount") ? -1 : 0;
}

int device_info(int device, GlimpseCudaDevice* out) {
    cudaDeviceProp prop{};
    if (failed(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties")) return -1;
    std::memset(out, 0, sizeof *out);
    std::snprintf(out->name, sizeof out->name, "%s", prop.name);
    out->compute_major = prop.major;
    out->compute_minor = prop.minor;
    out->multiprocessors = prop.multiProcessorCount;
    int previous = 0;
    if (failed(cudaGetDevice(&previous), "cudaGetDevice") || failed(cudaSetDevice(device), "cudaSetDevice")) return -1;
    const bool ok = !failed(cudaMemGetInfo(&out->free_bytes, &out->total_bytes), "cudaMemGetInfo");
    cudaSetDevice(previous);
    if (!ok) return -1;
    if (failed(cudaDriverGetVersion(&out->driver_version), "cudaDriverGetVersion")) return -1;
    if (failed(cudaRuntimeGetVersion(&out->runtime_version), "cudaRuntimeGetVersion")) return -1;
    return 0;
}

int select_device(int device) { return failed(cudaSetDevice(device), "cudaSetDevice") ? -1 : 0; }

int alloc(size_t bytes, void** out) {
    *out = nullptr;
    return failed(cudaMalloc(out, bytes), "cudaMalloc") ? -1 : 0;
}

int release(void* ptr) { return failed(cudaFree(ptr), "cudaFree") ? -1 : 0; }

int upload(void* dst, const void* src, size_t bytes) {
    return failed(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload") ? -1 : 0;
}

int download(void* dst, const void* src, size_t bytes) {
    return failed(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "download") ? -1 : 0;
}

int synchronize() { return failed(cudaDeviceSynchronize(), "cudaDeviceSynchronize") ? -1 : 0; }

}  // namespace

void set_error(const std::string& message) { last_error_text = message; }
const char* error_text() { return last_error_text.c_str(); }

}  // namespace glimpse_cuda

extern "C" __attribute__((visibility("default"))) const GlimpseCudaApi* glimpse_cuda_api(void) {
    using namespace glimpse_cuda;
    static const GlimpseCudaApi api = {
        GLIMPSE_CUDA_API_VERSION,
        &error_text,
        &device_count,
        &device_info,
        &select_device,
        &alloc,
        &release,
        &upload,
        &download,
        &synchronize,
        &rmsnorm,
        &rope,
        &swiglu,
        &add,
        &softmax_rows,
        &dequantize,
        &matmul_f32,
        &attention_prefill,
        &attention_decode,
        &window_scores,
    };
    return &api;
}
