#pragma once
// Where the default model lives: the user's model cache (where scripts/fetch-model puts it),
// else a system-wide copy (where the glimpse-default-model package installs it).

#include <filesystem>

namespace engine {

inline constexpr const char* kDefaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf";

// $GLIMPSE_MODEL if set; else $GLIMPSE_MODEL_DIR/kDefaultModelFile if that is set. Otherwise
// the user's model cache ($XDG_CACHE_HOME/glimpse/models, else ~/.cache/glimpse/models) when
// the file is there, else the first glimpse/models/kDefaultModelFile that exists under the
// folders of $XDG_DATA_DIRS (default /usr/local/share:/usr/share), else the cache path, so a
// "missing model" error names the place scripts/fetch-model fills.
std::filesystem::path default_model_path();

}  // namespace engine
