#pragma once
// Each glimpse-cli subcommand registers itself on the app; its callback throws
// engine::Error for anything the user must fix, which main() prints as one line.

namespace CLI {
class App;
}

namespace glimpse::cli {

void add_inspect_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);

}  // namespace glimpse::cli
