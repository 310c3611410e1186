// glimpse-cli chat [--doc FILE...]: a conversation about documents, one question per line.
// The documents are read once; each later turn appends only its own tokens to the cache.

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
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace glimpse::cli {
namespace {

struct ChatOptions {
    ModelOptions model;
    DocumentOptions documents;
    engine::SamplingParams sampling;
    std::string system_prompt;
};

class Conversation {
public:
    Conversation(const LoadedModel& loaded, const ChatOptions& options, std::vector<PromptDocument> documents)
        : loaded_(loaded), options_(options), documents_(std::move(documents)) {}

    void ask(const std::string& question, const std::atomic<bool>* cancel) {
        auto start = std::chrono::steady_clock::now();
        int64_t fed = 0;
        if (!session_) {
            auto prompt = build_document_prompt(loaded_.tokenizer, loaded_.chat, documents_, question,
                                                options_.system_prompt, context_length(),
                                                options_.sampling.max_new_tokens);
            messages_ = initial_messages(question);
            fed = start_session(prompt.text, prompt.tokens, cancel);
        } else {
            messages_.push_back({"user", question});
            std::string rendered = loaded_.chat.render(messages_, true);
            if (rendered.compare(0, cache_text_.size(), cache_text_) == 0) {
                // The common case: the cache already holds the conversation so far.
                auto tokens = loaded_.tokenizer.encode(std::string_view(rendered).substr(cache_text_.size()),
                                                       false, true);
                check_fits(session_->position() + static_cast<int64_t>(tokens.size()));
                if (!session_->append(tokens, cancel)) {
                    messages_.pop_back();
                    throw engine::Error("cancelled");
                }
                cache_text_ = rendered;
                fed = static_cast<int64_t>(tokens.size());
            } else {
                // The template rewrites earlier turns (some trim or move the system prompt):
                // read the whole conversation again.
                auto tokens = tokenize_rendered(loaded_.tokenizer, loaded_.chat, rendered);
                fed = start_session(rendered, tokens, cancel);
            }
        }
        PrefillTiming prefill{fed, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};

        std::string answer;
        auto stats = engine::generate_text(
            *session_, loaded_.tokenizer, options_.sampling,
            [&](std::string_view piece) {
                answer += piece;
                std::fwrite(piece.data(), 1, piece.size(), stdout);
                std::fflush(stdout);
            },
            cancel);
        std::printf("\n");
        print_run_report(prefill, stats);
        print_kv_report(*session_, session_->options().policy->name(), options_.model.budget);
        messages_.push_back({"assistant", answer});
        cache_text_ += loaded_.tokenizer.decode(stats.tokens);
    }

private:
    int64_t context_length() const { return loaded_.model->config().context_length; }

    void check_fits(int64_t tokens) const {
        if (tokens + options_.sampling.max_new_tokens > context_length())
            throw engine::Error("the conversation is " + std::to_string(tokens) +
                                " tokens long and the model's context window holds " +
                                std::to_string(context_length()) + "; start a new chat");
    }

    std::vector<engine::ChatMessage> initial_messages(const std::string& question) const {
        std::vector<engine::ChatMessage> m;
        if (!options_.system_prompt.empty()) m.push_back({"system", options_.system_prompt});
        m.push_back({"user", document_message(documents_, question)});
        return m;
    }

    int64_t start_session(const std::string& text, const std::vector<int32_t>& tokens,
                          const std::atomic<bool>* cancel) {
        check_fits(static_cast<int64_t>(tokens.size()));
        auto session = std::make_unique<engine::Session>(*loaded_.model, session_options(options_.model, loaded_));
        bool done = engine::prefill_with_policy(*session, *session->options().policy, tokens, terminal_progress("reading"), cancel);
        clear_terminal_progress();
        if (!done) {
            messages_.pop_back();
            throw engine::Error("cancelled");
        }
        session_ = std::move(session);
        cache_text_ = text;
        return static_cast<int64_t>(tokens.size());
    }

    const LoadedModel& loaded_;
    const ChatOptions& options_;
    std::vector<PromptDocument> documents_;
    std::vector<engine::ChatMessage> messages_;
    std::unique_ptr<engine::Session> session_;
    std::string cache_text_;   // the text whose tokens the session's cache holds
};

void run_chat(const ChatOptions& opt) {
    auto loaded = load_model(opt.model);
    Conversation conversation(loaded, opt, load_documents(opt.documents));
    const bool tty = isatty(STDIN_FILENO);
    const auto* cancel = install_interrupt_flag();
    if (tty) std::fprintf(stderr, "Ask a question (an empty line or Ctrl-D ends the chat; Ctrl-C stops an answer).\n");
    std::string line;
    while (true) {
        if (tty) std::fprintf(stderr, "> ");
        if (!std::getline(std::cin, line) || line.empty()) break;
        clear_interrupt_flag();
        try {
            conversation.ask(line, cancel);
        } catch (const engine::Error& e) {
            // A failed turn (cancelled, too long) leaves the conversation as it was.
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
