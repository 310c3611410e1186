// glimpse-cli bench: prefill and decode speed and peak memory on random prompts, with
// llama.cpp measured in the same run for comparison when asked.

#include "cli/commands.h"
#include "cli/model_options.h"
#include "core/data_dir.h"
#include "core/model_setup.h"
#include "engine/error.h"
#include "engine/process_memory.h"
#include "engine/session/session.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
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
    int64_t gen_tokens = 64;
    int runs = 3;
    bool json = false;
    bool compare_llamacpp = false;
    std::string llamacpp_script;   // empty: scripts/bench_llamacpp.py in the data directory
};

struct Row {
    std::string engine;
    int64_t prompt_tokens;
    std::vector<double> prefill;   // tok/s per run
    std::vector<double> decode;
    double peak_rss_mib = 0;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Row bench_glimpse(const std::shared_ptr<const engine::Model>& model, const std::shared_ptr<engine::Backend>& backend,
                  int64_t n, const BenchOptions& opt) {
    Row row{"glimpse", n, {}, {}, 0};
    std::mt19937_64 rng(1234 + static_cast<uint64_t>(n));
    const int64_t vocab = model->config().vocab_size;
    for (int run = 0; run < opt.runs; ++run) {
        std::vector<int32_t> tokens(static_cast<size_t>(n));
        for (auto& t : tokens) t = static_cast<int32_t>(256 + rng() % static_cast<uint64_t>(vocab - 256));
        engine::Session session(model, backend);
        auto t0 = std::chrono::steady_clock::now();
        session.prefill(tokens);
        row.prefill.push_back(static_cast<double>(n) / seconds_since(t0));
        auto t1 = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < opt.gen_tokens; ++i) {
            auto logits = session.logits();
            auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
            session.decode(static_cast<int32_t>(best));
        }
        row.decode.push_back(static_cast<double>(opt.gen_tokens) / seconds_since(t1));
    }
    row.peak_rss_mib = engine::peak_rss_bytes() / 1048576.0;
    return row;
}

std::vector<Row> bench_llamacpp(const std::string& model_path, int threads, const BenchOptions& opt) {
    std::string lengths;
    for (auto n : opt.prompt_tokens) lengths += (lengths.empty() ? "" : ",") + std::to_string(n);
    const std::string script =
        opt.llamacpp_script.empty() ? data_file("scripts/bench_llamacpp.py").string() : opt.llamacpp_script;
    std::string command = "python3 '" + script + "' '" + model_path + "' --prompt-tokens " + lengths +
                          " --gen-tokens " + std::to_string(opt.gen_tokens) + " --threads " +
                          std::to_string(threads) + " --runs " + std::to_string(opt.runs);
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) throw engine::Error("cannot run " + script);
    std::string out;
    std::array<char, 4096> buf{};
    while (size_t got = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), got);
    if (pclose(pipe) != 0)
        throw engine::Error("the llama.cpp comparison failed (is llama-cpp-python installed? "
                            "pip install llama-cpp-python)");
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) throw engine::Error("the llama.cpp comparison printed no JSON");
    std::vector<Row> rows;
    for (auto n : opt.prompt_tokens) {
        const auto& r = j["prompt_tokens"][std::to_string(n)];
        rows.push_back({j.value("reference", "llama.cpp"), n, r["prefill_tok_s"].get<std::vector<double>>(),
                        r["decode_tok_s"].get<std::vector<double>>(), 0});
    }
    return rows;
}

void run_bench(const BenchOptions& opt) {
    if (opt.runs < 1) throw engine::Error("--runs must be at least 1");
    auto path = resolve_model_path(opt.model.model);
    auto model = engine::Model::open(path);
    const int threads = opt.model.threads > 0 ? opt.model.threads : static_cast<int>(std::thread::hardware_concurrency());
    for (auto n : opt.prompt_tokens)
        if (n < 1 || n + opt.gen_tokens > model->config().context_length)
            throw engine::Error("--prompt-tokens " + std::to_string(n) + " plus --gen-tokens does not fit the context of " +
                                std::to_string(model->config().context_length));
    std::vector<Row> rows;
    const std::shared_ptr<engine::Backend> backend = engine::make_cpu_backend(threads);
    for (auto n : opt.prompt_tokens) rows.push_back(bench_glimpse(model, backend, n, opt));
    if (opt.compare_llamacpp)
        for (auto& r : bench_llamacpp(path.string(), threads, opt)) rows.push_back(std::move(r));

    if (opt.json) {
        nlohmann::json j;
        j["model"] = path.string();
        j["threads"] = threads;
        j["gen_tokens"] = opt.gen_tokens;
        j["runs"] = opt.runs;
        for (const auto& r : rows)
            j["rows"].push_back({{"engine", r.engine}, {"prompt_tokens", r.prompt_tokens},
                                 {"prefill_tok_s", r.prefill}, {"decode_tok_s", r.decode},
                                 {"prefill_tok_s_median", median(r.prefill)},
                                 {"decode_tok_s_median", median(r.decode)}, {"peak_rss_mib", r.peak_rss_mib}});
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("model %s, %d threads, %lld generated tokens, median of %d runs\n", path.filename().c_str(), threads,
                (long long)opt.gen_tokens, opt.runs);
    std::printf("| engine | prompt tokens | prefill tok/s | decode tok/s | peak RSS MiB |\n");
    std::printf("|---|---:|---:|---:|---:|\n");
    for (const auto& r : rows) {
        std::string rss = r.peak_rss_mib > 0 ? std::to_string(static_cast<int>(r.peak_rss_mib)) : "-";
        std::printf("| %s | %lld | %.1f | %.1f | %s |\n", r.engine.c_str(), (long long)r.prompt_tokens,
                    median(r.prefill), median(r.decode), rss.c_str());
    }
    if (opt.compare_llamacpp) {
        size_t k = opt.prompt_tokens.size();
        for (size_t i = 0; i < k; ++i)
            std::printf("ratio glimpse/llama.cpp at %lld tokens: prefill %.2fx, decode %.2fx\n",
                        (long long)rows[i].prompt_tokens, median(rows[i].prefill) / median(rows[k + i].prefill),
                        median(rows[i].decode) / median(rows[k + i].decode));
    }
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto opt = std::make_shared<BenchOptions>();
    auto* cmd = app.add_subcommand("bench", "Measure prefill and decode speed and peak memory on random prompts");
    cmd->add_option("--model,-m", opt->model.model, "GGUF model file (default: the default model)");
    cmd->add_option("--threads,-t", opt->model.threads, "CPU threads (default: one per hardware thread)");
    cmd->add_option("--prompt-tokens", opt->prompt_tokens, "Prompt lengths, comma-separated")
        ->delimiter(',')->default_str("512,2048");
    cmd->add_option("--gen-tokens", opt->gen_tokens, "Tokens to decode after each prompt")->default_val(64)
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--runs", opt->runs, "Runs per length; medians are reported")->default_val(3);
    cmd->add_flag("--json", opt->json, "Print JSON instead of a table");
    cmd->add_flag("--compare-llamacpp", opt->compare_llamacpp,
                  "Also measure llama.cpp (PyPI llama-cpp-python) on the same model and threads");
    cmd->add_option("--llamacpp-script", opt->llamacpp_script,
                    "Path of bench_llamacpp.py (default: scripts/bench_llamacpp.py in the data directory)");
    cmd->callback([opt] { run_bench(*opt); });
}

}  // namespace glimpse::cli
