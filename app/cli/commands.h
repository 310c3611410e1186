#pragma once
// Each glimpse-cli subcommand registers itself on the app; its callback throws
// engine::Error for anything the user must fix, which main() prints as one line.

namespace CLI {
class App;
}

namespace glimpse::cli {

void add_inspect_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
// Files that cannot be read are reported one by one and the others still read; at the
// end the callback throws if any failed.
void add_ingest_command(CLI::App& app);
void add_ask_command(CLI::App& app);
void add_chat_command(CLI::App& app);
void add_sessions_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_eval_command(CLI::App& app);
// Ctrl-C stops after the current forward step; what is written is whole.
void add_make_data_command(CLI::App& app);
void add_train_lookahead_command(CLI::App& app);

}  // namespace glimpse::cli
