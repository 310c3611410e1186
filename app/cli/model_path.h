#pragma once

#include <filesystem>
#include <string>

namespace glimpse::cli {

// The model a command should open: the given path, or the default model. A missing
// default model is an error that tells the user how to fetch it.
std::filesystem::path resolve_model_path(const std::string& given);

}  // namespace glimpse::cli
