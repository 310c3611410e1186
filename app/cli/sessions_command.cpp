// glimpse-cli sessions list | show NAME | export NAME | delete NAME | rename OLD NEW | bench:
// the conversations kept in the session store ($GLIMPSE_SESSIONS_DB, else the user's data
// folder). bench measures how much sooner a resumed session answers than one that reads
// its document again.

#include "cli/commands.h"
#include "cli/median.h"
#include "cli/model_options.h"
#include "core/data_dir.h"
#include "core/conversation.h"
#include "engine/error.h"
#include "store/session_store.h"
#include "store/session_transcript.h"
#include "store/stored_conversation.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace glimpse::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string date(int64_t t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", std::localtime(&tt));
    return buf;
}

double mib(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

store::SessionStore open_store() { return store::SessionStore(store::SessionStore::default_path()); }

store::SessionRecord existing(store::SessionStore& s, const std::string& name) {
    auto r = s.find(name);
    if (!r) throw engine::Error("no session named \"" + name + "\" (glimpse-cli sessions list shows them)");
    return *r;
}

void list_sessions() {
    auto s = open_store();
    const auto all = s.sessions();
    if (all.empty()) std::printf("no sessions in %s\n", s.database().path().string().c_str());
    for (const auto& r : all)
        std::printf("%-24s %3zu turns  %s  %s\n", r.name.c_str(), s.turns(r.id).size(), date(r.updated_at).c_str(),
                    r.title.c_str());
}

void show_session(const std::string& name) {
    auto s = open_store();
    const auto r = existing(s, name);
    std::printf("session   %s\ntitle     %s\ncreated   %s\nupdated   %s\nmodel     %s\nadapter   %s\npolicy    %s, budget %lld\n",
                r.name.c_str(), r.title.c_str(), date(r.created_at).c_str(), date(r.updated_at).c_str(),
                r.identity.model_fingerprint.c_str(),
                r.identity.adapter_fingerprint.empty() ? "none" : r.identity.adapter_fingerprint.c_str(),
                r.identity.policy.c_str(), static_cast<long long>(r.identity.budget));
    std::printf("documents\n");
    for (const auto& d : s.documents(r.id))
        std::printf("  %s (%zu pages) %s\n", d.document.title.c_str(), d.document.pages.size(), d.path.c_str());
    const auto turns = s.turns(r.id);
    std::printf("turns     %zu\n", turns.size());
    for (size_t i = 0; i < turns.size(); ++i)
        std::printf("  %zu. %s\n", i + 1, turns[i].question.c_str());
    if (const auto snap = s.snapshot_summary(r.id))
        std::printf("snapshot  %lld tokens, %lld turns, %lld segments: %.1f MiB stored (%s) of a %.1f MiB full cache (%.1f%%)\n",
                    static_cast<long long>(snap->tokens), static_cast<long long>(snap->turns),
                    static_cast<long long>(snap->segments), mib(snap->bytes), snap->kv_format.c_str(),
                    mib(snap->full_bytes), snap->full_bytes ? 100.0 * snap->bytes / snap->full_bytes : 0.0);
    else
        std::printf("snapshot  none: the next question reads the documents\n");
}

void export_session(const std::string& name, const std::string& out) {
    auto s = open_store();
    const auto r = existing(s, name);
    const auto md = store::session_transcript(r, s.documents(r.id), s.turns(r.id));
    if (out.empty() || out == "-") {
        std::fwrite(md.data(), 1, md.size(), stdout);
        return;
    }
    std::ofstream f(out, std::ios::binary);
    f << md;
    if (!f) throw engine::Error(engine::ErrorKind::Io, out + ": cannot write the transcript");
}

// ---- bench --------------------------------------------------------------------------

struct BenchOptions {
    ModelOptions model;
    int64_t tokens = 7000;
    int repeats = 3;
};

// The sample report repeated, one page per copy, to the nearest copy of `tokens` tokens.
std::vector<PromptDocument> bench_document(const LoadedModel& loaded, int64_t tokens) {
    std::ifstream f(data_file("samples/harbor-light-report.md"), std::ios::binary);
    std::stringstream text;
    text << f.rdbuf();
    if (text.str().empty()) throw engine::Error(engine::ErrorKind::Io, "the sample report samples/harbor-light-report.md is empty");
    const int64_t per_copy = static_cast<int64_t>(loaded.tokenizer.encode(text.str(), false, false).size()) + 8;
    PromptDocument doc{"Harbor light report (repeated)", {}};
    for (int64_t n = 0, page = 1; n + per_copy / 2 <= tokens - 120; n += per_copy, ++page)
        doc.pages.push_back({static_cast<int>(page), text.str()});
    if (doc.pages.empty()) doc.pages.push_back({1, text.str()});
    return {doc};
}

// Seconds from the call until the answer's first piece.
double time_to_first_piece(Conversation& c, const std::string& question, const Clock::time_point start) {
    double first = -1.0;
    TurnCallbacks cb;
    cb.on_piece = [&](std::string_view) {
        if (first < 0) first = std::chrono::duration<double>(Clock::now() - start).count();
    };
    c.ask(question, cb);
    return first >= 0 ? first : std::chrono::duration<double>(Clock::now() - start).count();
}

void run_bench(BenchOptions opt) {
    if (opt.model.policy.empty()) opt.model.policy = "snapkv";
    const auto loaded = load_model(opt.model);
    const auto identity = store::snapshot_identity(loaded);
    ConversationOptions options;
    options.sampling.max_new_tokens = 4;
    options.kv_type = engine::parse_kv_type(opt.model.kv_type);
    const auto docs = bench_document(loaded, opt.tokens);

    char dir_template[] = "/tmp/glimpse-bench-XXXXXX";
    if (!mkdtemp(dir_template)) throw engine::Error(engine::ErrorKind::Io, "cannot make a temporary folder");
    const std::filesystem::path dir = dir_template;
    const auto db_path = dir / "sessions.sqlite";

    const std::string first_q = "What is the entrance code for the night tours?";
    const std::string follow_up = "Who was the last keeper?";
    int64_t prompt_tokens = 0, full_bytes = 0, snapshot_bytes = 0;
    double save_seconds = 0.0;
    {
        store::SessionStore s(db_path);
        std::vector<store::StoredDocument> stored_docs{{"(bench)", docs[0]}};
        auto stored = store::start_stored_conversation(s, "bench", loaded, options, identity, stored_docs);
        std::fprintf(stderr, "reading the document once to make the session...\n");
        const auto turn = stored.conversation->ask(first_q);
        prompt_tokens = turn.read_tokens;
        full_bytes = turn.prefill.full_bytes;
        const auto t0 = Clock::now();
        store::save_turn(s, stored, identity, first_q, turn);
        save_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        snapshot_bytes = s.snapshot_summary(stored.session.id)->bytes;
    }

    std::vector<double> resumed, reread, loads;
    for (int r = 0; r < opt.repeats; ++r) {
        const auto start = Clock::now();
        store::SessionStore s(db_path);
        const auto record = *s.find("bench");
        auto stored = store::resume_stored_conversation(s, record, loaded, options, identity);
        if (!stored.restored) throw engine::Error("bench: the snapshot was not restored: " + stored.not_restored);
        loads.push_back(stored.load_seconds);
        resumed.push_back(time_to_first_piece(*stored.conversation, follow_up, start));
    }
    for (int r = 0; r < opt.repeats; ++r) {
        std::fprintf(stderr, "reading the document again (%d of %d)...\n", r + 1, opt.repeats);
        const auto start = Clock::now();
        Conversation c(loaded, options, docs);
        reread.push_back(time_to_first_piece(c, follow_up, start));
    }
    std::filesystem::remove_all(dir);

    const double a = median(resumed), b = median(reread);
    std::printf("session resume benchmark: %s, policy %s budget %lld, document prompt %lld tokens, median of %d\n",
                loaded.path.filename().string().c_str(), loaded.policy.c_str(), static_cast<long long>(loaded.policy_options.budget),
                static_cast<long long>(prompt_tokens), opt.repeats);
    std::printf("  first answer token, resumed (open store, load snapshot, append question): %8.3f s (snapshot load %.3f s)\n",
                a, median(loads));
    std::printf("  first answer token, document read again (prefill):                     %8.3f s\n", b);
    std::printf("  speed-up: %.1fx\n", b / a);
    std::printf("  snapshot: %.2f MiB stored (f32) vs %.2f MiB full cache (%.1f%%); saved in %.3f s\n", mib(snapshot_bytes),
                mib(full_bytes), full_bytes ? 100.0 * snapshot_bytes / full_bytes : 0.0, save_seconds);
}

}  // namespace

void add_sessions_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("sessions", "List, show, export, delete and rename stored sessions "
                                               "(store: $GLIMPSE_SESSIONS_DB, else the user's data folder)");
    cmd->require_subcommand(1);
    cmd->add_subcommand("list", "The stored sessions, most recent first")->callback(list_sessions);

    auto name = std::make_shared<std::string>();
    auto* show = cmd->add_subcommand("show", "A session's documents, turns and KV snapshot size");
    show->add_option("name", *name, "Session name")->required();
    show->callback([name] { show_session(*name); });

    auto out = std::make_shared<std::string>();
    auto* exp = cmd->add_subcommand("export", "A session as a Markdown transcript with page references");
    exp->add_option("name", *name, "Session name")->required();
    exp->add_option("--output,-o", *out, "File to write (default: stdout)");
    exp->callback([name, out] { export_session(*name, *out); });

    auto* del = cmd->add_subcommand("delete", "Delete a session, its turns and snapshot");
    del->add_option("name", *name, "Session name")->required();
    del->callback([name] {
        auto s = open_store();
        s.remove(*name);
        std::printf("deleted session \"%s\"\n", name->c_str());
    });

    auto to = std::make_shared<std::string>();
    auto* ren = cmd->add_subcommand("rename", "Rename a session");
    ren->add_option("old", *name, "Current name")->required();
    ren->add_option("new", *to, "New name")->required();
    ren->callback([name, to] {
        auto s = open_store();
        s.rename(*name, *to);
        std::printf("renamed \"%s\" to \"%s\"\n", name->c_str(), to->c_str());
    });

    auto bench = std::make_shared<BenchOptions>();
    auto* b = cmd->add_subcommand("bench", "Time to the first answer token after a restart: resumed from the "
                                           "store vs reading the document again (in a temporary store)");
    add_model_options(b, bench->model);
    b->add_option("--tokens", bench->tokens, "Document size in tokens")->default_val(7000)->check(CLI::Range(500, 1 << 20));
    b->add_option("--repeats", bench->repeats, "Runs of each, the median is reported")->default_val(3)->check(CLI::Range(1, 100));
    b->callback([bench] { run_bench(*bench); });
}

}  // namespace glimpse::cli
