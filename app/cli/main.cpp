// glimpse-cli: the engine from the command line.

#include "cli/commands.h"
#include "engine/error.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    CLI::App app{"Glimpse: ask questions about long documents with a local LLM.", "glimpse-cli"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "glimpse-cli 0.1.0");
    glimpse::cli::add_inspect_command(app);
    glimpse::cli::add_tokenize_command(app);
    glimpse::cli::add_ingest_command(app);
    glimpse::cli::add_ask_command(app);
    glimpse::cli::add_chat_command(app);
    glimpse::cli::add_sessions_command(app);
    glimpse::cli::add_bench_command(app);
    glimpse::cli::add_eval_command(app);
    glimpse::cli::add_make_data_command(app);
    glimpse::cli::add_train_lookahead_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const engine::Error& e) {
        std::fprintf(stderr, "glimpse-cli: error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glimpse-cli: unexpected error: %s\n", e.what());
        return 2;
    }
    return 0;
}
