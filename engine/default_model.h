#pragma once
// Where the default model lives: the same place scripts/fetch-model puts it.

#include <filesystem>

namespace engine {

inline constexpr const char* kDefaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf";

// $GLIMPSE_MODEL if set; else the model cache ($GLIMPSE_MODEL_DIR, else
// $XDG_CACHE_HOME/glimpse/models, else ~/.cache/glimpse/models) joined with kDefaultModelFile.
std::filesystem::path default_model_path();

}  // namespace engine
