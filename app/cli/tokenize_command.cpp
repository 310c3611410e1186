// glimpse-cli tokenize MODEL.gguf TEXT: the token ids and pieces of a text.

#include "cli/commands.h"

#include <CLI/CLI.hpp>

namespace glimpse::cli {

void add_tokenize_command(CLI::App&) {}

}  // namespace glimpse::cli
