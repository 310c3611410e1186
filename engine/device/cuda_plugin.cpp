#include "engine/device/cuda_plugin.h"

#include <dlfcn.h>

#include <cstdlib>
#include <system_error>
#include <utility>

namespace engine {
namespace {

std::filesystem::path program_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

std::filesystem::path CudaPlugin::default_path() {
    if (const char* env = std::getenv("GLIMPSE_CUDA_PLUGIN"); env && *env) return env;
    return program_dir() / ".." / GLIMPSE_PLUGIN_SUBDIR / "libglimpse_cuda.so";
}

CudaPlugin CudaPlugin::load(const std::filesystem::path& path) {
    CudaPlugin plugin;
    plugin.path_ = (path.empty() ? default_path() : path).lexically_normal();
    if (!std::filesystem::exists(plugin.path_)) {
        plugin.why_ = "the CUDA plugin is not installed (no " + plugin.path_.string() +
                      "); install the glimpse-cuda package to use an NVIDIA GPU";
        return plugin;
    }
    plugin.handle_ = dlopen(plugin.path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!plugin.handle_) {
        const char* error = dlerror();
        plugin.why_ = "the CUDA plugin " + plugin.path_.string() + " cannot be loaded (" +
                      (error ? error : "unknown error") + "); the CUDA runtime or cuBLAS may be missing";
        return plugin;
    }
    const auto entry = reinterpret_cast<GlimpseCudaApiEntry>(dlsym(plugin.handle_, GLIMPSE_CUDA_ENTRY));
    const GlimpseCudaApi* api = entry ? entry() : nullptr;
    if (!api) {
        plugin.why_ = plugin.path_.string() + " is not a Glimpse CUDA plugin (it has no " GLIMPSE_CUDA_ENTRY ")";
    } else if (api->version != GLIMPSE_CUDA_API_VERSION) {
        plugin.why_ = "the CUDA plugin " + plugin.path_.string() + " is version " + std::to_string(api->version) +
                      ", this Glimpse needs version " + std::to_string(GLIMPSE_CUDA_API_VERSION) +
                      "; install the glimpse-cuda package of the same version";
    } else {
        plugin.api_ = api;
        return plugin;
    }
    dlclose(plugin.handle_);
    plugin.handle_ = nullptr;
    return plugin;
}

CudaPlugin::CudaPlugin(CudaPlugin&& other) noexcept { *this = std::move(other); }

CudaPlugin& CudaPlugin::operator=(CudaPlugin&& other) noexcept {
    std::swap(handle_, other.handle_);
    std::swap(api_, other.api_);
    std::swap(path_, other.path_);
    std::swap(why_, other.why_);
    return *this;
}

CudaPlugin::~CudaPlugin() {
    // The CUDA runtime registers exit handlers inside the plugin: unloading it before the
    // process ends would leave them dangling, so a loaded plugin stays loaded.
    handle_ = nullptr;
}

std::vector<CudaDeviceInfo> CudaPlugin::devices(std::string* why) const {
    std::vector<CudaDeviceInfo> out;
    if (!ok()) {
        if (why) *why = why_;
        return out;
    }
    int count = 0;
    if (api_->device_count(&count) != 0) {
        if (why) *why = std::string("no usable NVIDIA driver or GPU: ") + api_->last_error();
        return out;
    }
    if (count == 0 && why) *why = "the NVIDIA driver reports no GPU";
    for (int i = 0; i < count; ++i) {
        GlimpseCudaDevice d{};
        if (api_->device_info(i, &d) != 0) {
            if (why) *why = std::string("GPU ") + std::to_string(i) + ": " + api_->last_error();
            continue;
        }
        out.push_back({i, d.name, d.compute_major, d.compute_minor, d.total_bytes, d.free_bytes, d.multiprocessors,
                       d.driver_version, d.runtime_version});
    }
    return out;
}

}  // namespace engine
