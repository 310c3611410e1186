// glimpse-cli ask --doc FILE... "QUESTION": one answer about one or more documents.

#include "cli/commands.h"
#include "cli/document_loading.h"
#include "cli/interrupt.h"
#include "cli/model_options.h"
#include "cli/run_report.h"
#include "core/conversation.h"
#include "engine/error.h"
#include "store/stored_conversation.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace glimpse::cli {
namespace {

struct AskOptions {
    ModelOptions model;
    DocumentOptions documents;
    engine::SamplingParams sampling;
    std::string question;
    std::string system_prompt;
};

void run_ask(const AskOptions& opt) {
    auto loaded = load_model(opt.model, opt.sampling.max_new_tokens);
    Conversation conversation(loaded, {.sampling = opt.sampling, .system_prompt = opt.system_prompt, .window = opt.model.read_window,
                                            .kv_type = engine::parse_kv_type(opt.model.kv_type)},
                              store::prompt_documents(load_documents(opt.documents)));
    const auto* cancel = install_interrupt_flag();
    TurnCallbacks callbacks;
    callbacks.on_progress = terminal_progress("reading the prompt");
    callbacks.on_piece = [first = true](std::string_view piece) mutable {
        if (first) clear_terminal_progress();   // the progress line gives way to the answer
        first = false;
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
    };
    TurnReport turn;
    try {
        turn = conversation.ask(opt.question, callbacks, cancel);
    } catch (...) {
        clear_terminal_progress();
        throw;
    }
    std::printf("\n");
    print_run_report(turn);
    print_citations(turn, conversation.documents().size());
    print_kv_report(*conversation.session(), opt.model.budget, turn.prefill.windows);
    if (turn.generation.stop_reason == engine::StopReason::Cancelled) std::fprintf(stderr, "glimpse-cli: answer cancelled\n");
}

}  // namespace

void add_ask_command(CLI::App& app) {
    auto opt = std::make_shared<AskOptions>();
    auto* cmd = app.add_subcommand("ask", "Answer a question about documents (PDF, text, Markdown)");
    add_model_options(cmd, opt->model);
    add_document_options(cmd, opt->documents);
    cmd->add_option("--system", opt->system_prompt, "System prompt (default: the chat template's own, if any)");
    add_sampling_options(cmd, opt->sampling);
    cmd->add_option("question", opt->question, "The question")->required();
    cmd->callback([opt] { run_ask(*opt); });
}

}  // namespace glimpse::cli
