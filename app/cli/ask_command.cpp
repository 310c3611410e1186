// glimpse-cli ask --doc FILE... "QUESTION": one answer about one or more documents.

#include "cli/commands.h"
#include "cli/document_loading.h"
#include "cli/interrupt.h"
#include "cli/model_options.h"
#include "cli/run_report.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/session/generate_text.h"
#include "prompt/document_prompt.h"

#include <CLI/CLI.hpp>

#include <chrono>
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
    auto loaded = load_model(opt.model);
    auto documents = load_documents(opt.documents);
    auto prompt = build_document_prompt(loaded.tokenizer, loaded.chat, documents, opt.question, opt.system_prompt,
                                        loaded.model->config().context_length, opt.sampling.max_new_tokens);

    const auto* cancel = install_interrupt_flag();
    engine::Session session(*loaded.model, session_options(opt.model, loaded));
    auto start = std::chrono::steady_clock::now();
    bool done = engine::prefill_with_policy(session, *session.options().policy, prompt.tokens,
                                            terminal_progress("reading the prompt"), cancel);
    clear_terminal_progress();
    if (!done) throw engine::Error("cancelled while reading the prompt");
    PrefillTiming prefill{static_cast<int64_t>(prompt.tokens.size()),
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};

    auto stats = engine::generate_text(
        session, loaded.tokenizer, opt.sampling,
        [](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
        },
        cancel);
    std::printf("\n");
    print_run_report(prefill, stats);
    print_kv_report(session, session.options().policy->name(), opt.model.budget);
    if (stats.stop_reason == engine::StopReason::Cancelled) std::fprintf(stderr, "glimpse-cli: answer cancelled\n");
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
