// glimpse-cli chat [--doc FILE...]: a conversation about documents, one question per line.
// The documents are read once; each later turn appends only its own tokens to the cache.

#include "cli/commands.h"
#include "cli/document_loading.h"
#include "cli/interrupt.h"
#include "cli/model_options.h"
#include "cli/run_report.h"
#include "core/conversation.h"
#include "engine/error.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace glimpse::cli {
namespace {

struct ChatOptions {
    ModelOptions model;
    DocumentOptions documents;
    engine::SamplingParams sampling;
    std::string system_prompt;
};

void run_chat(const ChatOptions& opt) {
    auto loaded = load_model(opt.model);
    Conversation conversation(loaded, {.sampling = opt.sampling, .system_prompt = opt.system_prompt},
                              load_documents(opt.documents));
    const bool tty = isatty(STDIN_FILENO);
    const auto* cancel = install_interrupt_flag();
    if (tty) std::fprintf(stderr, "Ask a question (an empty line or Ctrl-D ends the chat; Ctrl-C stops an answer).\n");
    std::string line;
    while (true) {
        if (tty) std::fprintf(stderr, "> ");
        if (!std::getline(std::cin, line) || line.empty()) break;
        clear_interrupt_flag();
        TurnCallbacks callbacks;
        callbacks.on_progress = terminal_progress("reading");
        callbacks.on_piece = [first = true](std::string_view piece) mutable {
            if (first) clear_terminal_progress();
            first = false;
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
        };
        try {
            const TurnReport turn = conversation.ask(line, callbacks, cancel);
            std::printf("\n");
            print_run_report(turn);
            print_citations(turn, conversation.documents().size());
            print_kv_report(*conversation.session(), opt.model.budget);
        } catch (const engine::Error& e) {
            // A failed turn (cancelled, too long) leaves the conversation as it was.
            clear_terminal_progress();
            std::fprintf(stderr, "glimpse-cli: %s\n", e.what());
        }
    }
}

}  // namespace

void add_chat_command(CLI::App& app) {
    auto opt = std::make_shared<ChatOptions>();
    auto* cmd = app.add_subcommand("chat", "Talk about documents over many turns (reads questions from stdin)");
    add_model_options(cmd, opt->model);
    add_document_options(cmd, opt->documents);
    cmd->add_option("--system", opt->system_prompt, "System prompt (default: the chat template's own, if any)");
    add_sampling_options(cmd, opt->sampling);
    cmd->callback([opt] { run_chat(*opt); });
}

}  // namespace glimpse::cli
