#include "engine/default_model.h"

#include <cstdlib>
#include <string_view>
#include <system_error>

namespace engine {
namespace {

std::filesystem::path env_path(const char* name) {
    const char* v = std::getenv(name);
    return (v && *v) ? std::filesystem::path(v) : std::filesystem::path();
}

bool is_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}

// The XDG base directory spec's search path for shared data; relative entries are ignored.
std::filesystem::path system_model_path() {
    const char* v = std::getenv("XDG_DATA_DIRS");
    const std::string_view dirs = (v && *v) ? v : "/usr/local/share:/usr/share";
    for (size_t begin = 0; begin <= dirs.size();) {
        size_t end = dirs.find(':', begin);
        if (end == std::string_view::npos) end = dirs.size();
        const std::filesystem::path dir(dirs.substr(begin, end - begin));
        if (dir.is_absolute()) {
            auto candidate = dir / "glimpse" / "models" / kDefaultModelFile;
            if (is_file(candidate)) return candidate;
        }
        begin = end + 1;
    }
    return {};
}

}  // namespace

std::filesystem::path default_model_path() {
    if (auto explicit_model = env_path("GLIMPSE_MODEL"); !explicit_model.empty()) return explicit_model;
    if (auto dir = env_path("GLIMPSE_MODEL_DIR"); !dir.empty()) return dir / kDefaultModelFile;
    std::filesystem::path cache = env_path("XDG_CACHE_HOME");
    if (cache.empty()) cache = env_path("HOME") / ".cache";
    const auto cached = cache / "glimpse" / "models" / kDefaultModelFile;
    if (is_file(cached)) return cached;
    if (auto system = system_model_path(); !system.empty()) return system;
    return cached;
}

}  // namespace engine
