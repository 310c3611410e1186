#include "engine/default_model.h"

#include <cstdlib>

namespace engine {
namespace {

std::filesystem::path env_path(const char* name) {
    const char* v = std::getenv(name);
    return (v && *v) ? std::filesystem::path(v) : std::filesystem::path();
}

}  // namespace

std::filesystem::path default_model_path() {
    if (auto explicit_model = env_path("GLIMPSE_MODEL"); !explicit_model.empty()) return explicit_model;
    std::filesystem::path dir = env_path("GLIMPSE_MODEL_DIR");
    if (dir.empty()) {
        std::filesystem::path cache = env_path("XDG_CACHE_HOME");
        if (cache.empty()) cache = env_path("HOME") / ".cache";
        dir = cache / "glimpse" / "models";
    }
    return dir / kDefaultModelFile;
}

}  // namespace engine
