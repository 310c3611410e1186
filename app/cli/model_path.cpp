#include "cli/model_path.h"

#include "engine/default_model.h"
#include "engine/error.h"

namespace glimpse::cli {

std::filesystem::path resolve_model_path(const std::string& given) {
    if (!given.empty()) return given;
    auto path = engine::default_model_path();
    if (!std::filesystem::exists(path))
        throw engine::Error("the default model is not at " + path.string() +
                            "; run scripts/fetch-model, or pass a GGUF file with --model");
    return path;
}

}  // namespace glimpse::cli
