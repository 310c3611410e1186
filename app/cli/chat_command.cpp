// glimpse-cli chat [--doc FILE...] [--session NAME]: a conversation about documents, one
// question per line. The documents are read once; each later turn appends only its own
// tokens to the cache. With --session the conversation is kept in the session store and
// continued from it next time without reading the documents again.

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
    std::string session;
    bool policy_given = false;   // --policy or --budget on the command line
};

// With --session: the stored session (created when new), and its identity.
struct SessionChat {
    std::unique_ptr<store::SessionStore> store;
    store::StoredConversation stored;
    store::SnapshotIdentity identity;
};

SessionChat open_session_chat(const ChatOptions& opt, const LoadedModel& loaded, ConversationOptions options,
                              std::unique_ptr<store::SessionStore> session_store,
                              const std::optional<store::SessionRecord>& existing) {
    SessionChat chat;
    chat.store = std::move(session_store);
    chat.identity = store::snapshot_identity(loaded);
    if (!existing) {
        chat.stored = store::start_stored_conversation(*chat.store, opt.session, loaded, std::move(options),
                                                       chat.identity, load_documents(opt.documents));
        std::fprintf(stderr, "new session \"%s\" in %s\n", opt.session.c_str(),
                     chat.store->database().path().string().c_str());
        return chat;
    }
    if (!opt.documents.paths.empty())
        std::fprintf(stderr, "glimpse-cli: session \"%s\" exists; its stored documents are used, --doc is ignored\n",
                     opt.session.c_str());
    chat.stored = store::resume_stored_conversation(*chat.store, *existing, loaded, std::move(options), chat.identity);
    if (chat.stored.restored)
        std::fprintf(stderr, "continuing session \"%s\": %zu turns, KV snapshot of %.1f MiB loaded in %.2f s\n",
                     opt.session.c_str(), chat.store->turns(existing->id).size(),
                     chat.stored.snapshot_bytes / 1048576.0, chat.stored.load_seconds);
    else if (!chat.stored.not_restored.empty())
        std::fprintf(stderr, "glimpse-cli: %s; the documents will be read again from their stored text\n",
                     chat.stored.not_restored.c_str());
    return chat;
}

void run_chat(const ChatOptions& opt) {
    ModelChoice choice = model_choice(opt.model, opt.sampling.max_new_tokens);
    std::unique_ptr<store::SessionStore> session_store;
    std::optional<store::SessionRecord> existing;
    if (!opt.session.empty()) {
        session_store = std::make_unique<store::SessionStore>(store::SessionStore::default_path());
        existing = session_store->find(opt.session);
        if (existing && !opt.policy_given) {
            // Continue with what the session was made with, so its snapshot can be used.
            choice.policy = existing->identity.policy;
            choice.policy_options.budget = existing->identity.budget;
        }
    }
    const auto loaded = open_model(choice);
    ConversationOptions options{.sampling = opt.sampling, .system_prompt = opt.system_prompt,
                                .window = opt.model.read_window, .kv_type = engine::parse_kv_type(opt.model.kv_type)};
    SessionChat session_chat;
    std::unique_ptr<Conversation> plain;
    if (session_store)
        session_chat = open_session_chat(opt, loaded, std::move(options), std::move(session_store), existing);
    else
        plain = std::make_unique<Conversation>(loaded, std::move(options), store::prompt_documents(load_documents(opt.documents)));
    Conversation& conversation = plain ? *plain : *session_chat.stored.conversation;
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
            print_kv_report(*conversation.session(), loaded.policy_options.budget, turn.read_documents ? turn.prefill.windows : 1);
            if (session_chat.store)
                store::save_turn(*session_chat.store, session_chat.stored, session_chat.identity, line, turn);
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
    cmd->add_option("--session", opt->session,
                    "Keep the conversation in the session store under this name; an existing session continues "
                    "without reading its documents again (store: $GLIMPSE_SESSIONS_DB, else the user's data folder)");
    cmd->callback([opt, cmd] {
        opt->policy_given = cmd->count("--policy") + cmd->count("--budget") > 0;
        run_chat(*opt);
    });
}

}  // namespace glimpse::cli
