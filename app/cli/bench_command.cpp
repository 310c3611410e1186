// glimpse-cli bench: prefill and decode speed and peak memory on random prompts, per
// eviction policy with the share of the prefill spent choosing what to keep, with llama.cpp
// measured in the same run for comparison when asked. `bench --document [FILE]` measures
// the document flow instead (cli/document_bench.h).

#include "cli/commands.h"
#include "cli/document_bench.h"
#include "cli/kernel_bench.h"
#include "cli/llamacpp_peer.h"
#include "cli/median.h"
#include "cli/model_options.h"
#include "core/model_setup.h"
#include "engine/error.h"
#include "engine/process_memory.h"
#include "engine/session/session.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

namespace glimpse::cli {
namespace {

struct BenchOptions {
    ModelOptions model;
    std::vector<int64_t> prompt_tokens{512, 2048};
    std::vector<std::string> policies{"full"};   // with --document: full,lookahead
    int64_t budget = 256;
    int64_t gen_tokens = 64;
    int runs = 3;
    bool json = false;
    LlamaCppPeer llamacpp;
    // --document [FILE] and the options only it takes.
    std::string document;
    std::vector<int64_t> budgets;
    std::string question;
    bool measure_configuration = false;
    bool kernels = false;   // --kernels: the attention kernels of each SIMD set instead
};

struct Row {
    std::string engine;
    int64_t prompt_tokens = 0;
    std::vector<double> prefill;   // tok/s per run
    std::vector<double> decode;
    double peak_rss_mib = 0;
    std::string policy = "full";
    std::vector<double> evict_share;   // per run: eviction seconds / prefill seconds
    std::vector<double> rows_share;    // per run: of which the policy's own rows (LookaheadKV)
    std::vector<double> first_token;   // per run: seconds from the prompt to the first generated token
    double kv_mib = 0;                 // K and V the cache keeps after the prompt
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Row bench_glimpse(const LoadedModel& loaded, int64_t n, const BenchOptions& opt) {
    const auto& model = loaded.model;
    Row row;
    row.engine = "glimpse";
    row.prompt_tokens = n;
    row.policy = loaded.policy;
    std::mt19937_64 rng(1234 + static_cast<uint64_t>(n));
    const int64_t vocab = model->config().vocab_size;
    for (int run = 0; run < opt.runs; ++run) {
        std::vector<int32_t> tokens(static_cast<size_t>(n));
        for (auto& t : tokens) t = static_cast<int32_t>(256 + rng() % static_cast<uint64_t>(vocab - 256));
        const auto policy = loaded.make_policy();
        engine::Session session(model, loaded.backend, {.kv_type = engine::parse_kv_type(opt.model.kv_type), .policy = policy});
        auto t0 = std::chrono::steady_clock::now();
        const engine::PrefillStats read = session.prefill(tokens);
        const double prefill_seconds = seconds_since(t0);
        row.prefill.push_back(static_cast<double>(n) / prefill_seconds);
        row.evict_share.push_back(read.eviction_seconds / prefill_seconds);
        row.rows_share.push_back(policy->rows_seconds() / prefill_seconds);
        row.kv_mib = static_cast<double>(read.kept_bytes) / 1048576.0;
        auto t1 = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < opt.gen_tokens; ++i) {
            auto logits = session.logits();
            auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
            session.decode(static_cast<int32_t>(best));
            if (i == 0) row.first_token.push_back(prefill_seconds + seconds_since(t1));
        }
        row.decode.push_back(static_cast<double>(opt.gen_tokens) / seconds_since(t1));
    }
    row.peak_rss_mib = engine::peak_rss_bytes() / 1048576.0;
    return row;
}

std::vector<Row> bench_llamacpp(const std::string& model_path, int threads, const BenchOptions& opt) {
    std::string lengths;
    for (auto n : opt.prompt_tokens) lengths += (lengths.empty() ? "" : ",") + std::to_string(n);
    const auto j = run_llamacpp(opt.llamacpp, model_path,
                                {"--prompt-tokens", lengths, "--gen-tokens", std::to_string(opt.gen_tokens), "--threads",
                                 std::to_string(threads), "--runs", std::to_string(opt.runs)});
    std::vector<Row> rows;
    for (auto n : opt.prompt_tokens) {
        const auto& r = j.at("prompt_tokens").at(std::to_string(n));
        Row row;
        row.engine = j.value("reference", "llama.cpp");
        row.prompt_tokens = n;
        row.prefill = r.at("prefill_tok_s").get<std::vector<double>>();
        row.decode = r.at("decode_tok_s").get<std::vector<double>>();
        rows.push_back(std::move(row));
    }
    return rows;
}

void run_bench(const BenchOptions& opt) {
    if (opt.runs < 1) throw engine::Error("--runs must be at least 1");
    if (opt.policies.empty()) throw engine::Error("--policies names no policy");
    const int threads = opt.model.threads > 0 ? opt.model.threads : static_cast<int>(std::thread::hardware_concurrency());
    std::vector<LoadedModel> loaded;
    for (const auto& name : opt.policies) {
        ModelOptions mo = opt.model;
        mo.threads = threads;
        mo.policy = name;
        mo.budget = opt.budget;
        loaded.push_back(load_model(mo));
        // One copy of the weights and one thread pool for every policy, as in the app.
        LoadedModel& l = loaded.back();
        l.model = loaded.front().model;
        l.backend = loaded.front().backend;
        if (l.policy_options.draft_model) l.policy_options.draft_model = l.model;
    }
    const auto& path = loaded.front().path;
    const auto& model = loaded.front().model;
    for (auto n : opt.prompt_tokens)
        if (n < 1 || n + opt.gen_tokens > model->config().context_length)
            throw engine::Error("--prompt-tokens " + std::to_string(n) + " plus --gen-tokens does not fit the context of " +
                                std::to_string(model->config().context_length));
    std::vector<Row> rows;
    for (auto n : opt.prompt_tokens)
        for (const auto& l : loaded) rows.push_back(bench_glimpse(l, n, opt));
    const size_t n_glimpse = rows.size();
    std::string llamacpp_skipped;
    if (opt.llamacpp.compare) {
        llamacpp_skipped = llamacpp_unavailable(opt.llamacpp);
        if (!llamacpp_skipped.empty())
            std::fprintf(stderr, "llama.cpp comparison skipped: %s\n", llamacpp_skipped.c_str());
        else
            for (auto& r : bench_llamacpp(path.string(), threads, opt)) rows.push_back(std::move(r));
    }
    const bool compared = opt.llamacpp.compare && llamacpp_skipped.empty();

    if (opt.json) {
        nlohmann::json j;
        j["model"] = path.string();
        j["threads"] = threads;
        j["gen_tokens"] = opt.gen_tokens;
        j["runs"] = opt.runs;
        if (!llamacpp_skipped.empty()) j["llamacpp_skipped"] = llamacpp_skipped;
        for (const auto& r : rows)
            j["rows"].push_back({{"engine", r.engine}, {"policy", r.policy}, {"prompt_tokens", r.prompt_tokens},
                                 {"evict_share", r.evict_share}, {"rows_share", r.rows_share},
                                 {"first_token_s", r.first_token}, {"kv_mib", r.kv_mib},
                                 {"prefill_tok_s", r.prefill}, {"decode_tok_s", r.decode},
                                 {"prefill_tok_s_median", median(r.prefill)},
                                 {"decode_tok_s_median", median(r.decode)}, {"peak_rss_mib", r.peak_rss_mib}});
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("model %s, %d threads, %lld generated tokens, median of %d runs, KV cache %s\n", path.filename().c_str(),
                threads, (long long)opt.gen_tokens, opt.runs, opt.model.kv_type.c_str());
    std::printf("budget %lld for the evicting policies; evict %% is the share of the prefill spent choosing what to "
                "keep, rows %% the part of it running LookaheadKV's rows\n", (long long)opt.budget);
    std::printf("| engine | policy | prompt tokens | first token s | prefill tok/s | evict %% | rows %% | decode tok/s "
                "| KV MiB | peak RSS MiB |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    auto fixed = [](double value, const char* format) {
        char text[32];
        std::snprintf(text, sizeof text, format, value);
        return std::string(text);
    };
    auto percent = [&](const std::vector<double>& shares) {
        return shares.empty() ? std::string("-") : fixed(100.0 * median(shares), "%.2f");
    };
    for (const auto& r : rows) {
        std::string rss = r.peak_rss_mib > 0 ? std::to_string(static_cast<int>(r.peak_rss_mib)) : "-";
        const std::string first = r.first_token.empty() ? "-" : fixed(median(r.first_token), "%.2f");
        const std::string kv = r.kv_mib > 0 ? fixed(r.kv_mib, "%.1f") : "-";
        std::printf("| %s | %s | %lld | %s | %.1f | %s | %s | %.1f | %s | %s |\n", r.engine.c_str(), r.policy.c_str(),
                    (long long)r.prompt_tokens, first.c_str(), median(r.prefill), percent(r.evict_share).c_str(),
                    percent(r.rows_share).c_str(), median(r.decode), kv.c_str(), rss.c_str());
    }
    if (compared) {
        for (size_t i = 0; i < opt.prompt_tokens.size(); ++i) {
            const Row& peer = rows[n_glimpse + i];
            for (size_t g = 0; g < n_glimpse; ++g) {
                const Row& r = rows[g];
                if (r.prompt_tokens != peer.prompt_tokens) continue;
                std::printf("ratio glimpse %s/llama.cpp at %lld tokens: prefill %.2fx, decode %.2fx\n", r.policy.c_str(),
                            (long long)r.prompt_tokens, median(r.prefill) / median(peer.prefill),
                            median(r.decode) / median(peer.decode));
            }
        }
    }
}

// `bench --document`: the options shared with the random-prompt bench mean the same there;
// --prompt-tokens is the generated document's length, --budget a single budget.
void run_document_mode(const BenchOptions& opt, const CLI::App& cmd) {
    DocumentBenchOptions d;
    d.model = opt.model.model;
    d.threads = opt.model.threads;
    d.file = opt.document;
    d.kv_type = opt.model.kv_type;
    if (cmd.count("--prompt-tokens")) {
        if (!d.file.empty()) throw engine::Error("--prompt-tokens sizes the generated document; a FILE has its own length");
        if (opt.prompt_tokens.size() != 1) throw engine::Error("--prompt-tokens takes one length with --document");
        d.prompt_tokens = opt.prompt_tokens.front();
        if (d.prompt_tokens < 1) throw engine::Error("--prompt-tokens must be at least 1");
    }
    d.question = opt.question;
    if (cmd.count("--policies")) d.policies = opt.policies;
    if (cmd.count("--budgets"))
        d.budgets = opt.budgets;
    else if (cmd.count("--budget"))
        d.budgets = {opt.budget};
    d.gen_tokens = opt.gen_tokens;
    d.runs = opt.runs;
    d.json = opt.json;
    d.llamacpp = opt.llamacpp;
    d.measure_configuration = opt.measure_configuration;
    run_document_bench(d);
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto opt = std::make_shared<BenchOptions>();
    auto* cmd = app.add_subcommand("bench", "Measure prefill and decode speed and peak memory on random prompts, "
                                            "or the whole flow of a question about a document");
    cmd->add_option("--model,-m", opt->model.model, "GGUF model file (default: the default model)");
    cmd->add_option("--threads,-t", opt->model.threads, "CPU threads (default: one per hardware thread)");
    cmd->add_option("--kv-type", opt->model.kv_type, "What the KV cache keeps: f32, f16 or q8_0")
        ->default_val(opt->model.kv_type)->check(CLI::IsMember({"f32", "f16", "q8_0"}));
    cmd->add_option("--document", opt->document,
                    "Measure the document flow (FILE read as ask reads a document, then asked about through a "
                    "conversation), or without FILE on a generated document that fills the context window; each "
                    "configuration in its own process")
        ->expected(0, 1)->type_name("[FILE]");
    cmd->add_option("--prompt-tokens", opt->prompt_tokens,
                    "Prompt lengths, comma-separated; with --document and no FILE, the generated document's prompt "
                    "length (default: the context window less --gen-tokens)")
        ->delimiter(',')->default_str("512,2048");
    cmd->add_option("--gen-tokens", opt->gen_tokens, "Tokens to decode after each prompt (with --document: at most)")
        ->default_val(64)->check(CLI::Range(1, 100000));
    cmd->add_option("--runs", opt->runs, "Runs per length or configuration; medians are reported")->default_val(3);
    cmd->add_option("--policies", opt->policies,
                    "Eviction policies to read the prompt with, comma-separated (default: full; with --document: "
                    "full,lookahead)")
        ->delimiter(',');
    cmd->add_option("--budget", opt->budget, "Tokens kept per KV head per layer by the evicting policies")
        ->default_val(256)->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    cmd->add_option("--budgets", opt->budgets,
                    "With --document: budgets to measure each evicting policy at, comma-separated (default: 512,2048)")
        ->delimiter(',')->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    cmd->add_option("--question", opt->question,
                    std::string("With --document: the question asked (default: \"") + kDefaultBenchQuestion + "\")");
    cmd->add_flag("--json", opt->json, "Print JSON instead of a table");
    cmd->add_flag("--kernels", opt->kernels,
                  "Time the attention kernels of every SIMD set this CPU has (portable, AVX2, AVX-512) instead");
    add_llamacpp_options(cmd, opt->llamacpp);
    // The process `bench --document` starts per configuration.
    cmd->add_flag("--measure-configuration", opt->measure_configuration)->group("");
    cmd->callback([opt, cmd] {
        if (opt->kernels) return run_kernel_bench(opt->json);
        if (cmd->count("--document")) return run_document_mode(*opt, *cmd);
        for (const char* only : {"--budgets", "--question", "--measure-configuration"})
            if (cmd->count(only)) throw engine::Error(std::string(only) + " is for bench --document");
        run_bench(*opt);
    });
}

}  // namespace glimpse::cli
