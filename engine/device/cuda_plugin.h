#pragma once
// Finds and loads the CUDA plugin (libglimpse_cuda.so) at run time with dlopen, so Glimpse
// runs unchanged where there is no GPU, no driver or no plugin: loading never throws, and
// when it fails, why() says which of those it was in words a person can act on.

#include "engine/cuda/cuda_api.h"

#include <filesystem>
#include <string>
#include <vector>

namespace engine {

struct CudaDeviceInfo {
    int index = 0;
    std::string name;
    int compute_major = 0, compute_minor = 0;
    size_t total_bytes = 0, free_bytes = 0;
    int multiprocessors = 0;
    int driver_version = 0, runtime_version = 0;
};

class CudaPlugin {
public:
    // $GLIMPSE_CUDA_PLUGIN if set, else <directory of the running program>/../<libdir>/glimpse.
    static std::filesystem::path default_path();
    // Loads the plugin at `path` (default_path() when empty).
    static CudaPlugin load(const std::filesystem::path& path = {});

    CudaPlugin(CudaPlugin&& other) noexcept;
    CudaPlugin& operator=(CudaPlugin&& other) noexcept;
    ~CudaPlugin();

    bool ok() const { return api_ != nullptr; }
    const std::string& why() const { return why_; }
    const std::filesystem::path& path() const { return path_; }
    // Valid only when ok().
    const GlimpseCudaApi& api() const { return *api_; }

    // The GPUs the driver reports; empty with `why` set when there are none or no driver.
    std::vector<CudaDeviceInfo> devices(std::string* why) const;

private:
    CudaPlugin() = default;

    void* handle_ = nullptr;
    const GlimpseCudaApi* api_ = nullptr;
    std::filesystem::path path_;
    std::string why_;
};

}  // namespace engine
