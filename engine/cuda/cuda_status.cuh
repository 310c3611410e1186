// How the plugin's functions report failure: -1 with the message kept for last_error().
#pragma once

#include <cuda_runtime.h>

#include <string>

namespace glimpse_cuda {

void set_error(const std::string& message);
const char* error_text();

// Records a failed CUDA call with where it happened; returns true when it failed.
inline bool failed(cudaError_t status, const char* what) {
    if (status == cudaSuccess) return false;
    set_error(std::string(what) + ": " + cudaGetErrorString(status));
    return true;
}

// After a kernel launch: launch errors now, execution errors at the next synchronize.
inline int launched(const char* kernel) { return failed(cudaGetLastError(), kernel) ? -1 : 0; }

inline int blocks_for(int64_t n, int threads) { return static_cast<int>((n + threads - 1) / threads); }

}  // namespace glimpse_cuda
