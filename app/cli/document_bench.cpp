#include "cli/document_bench.h"

#include "app/eval/haystack_corpus.h"
#include "app/eval/length_fit.h"
#include "cli/child_process.h"
#include "cli/document_loading.h"
#include "cli/median.h"
#include "cli/model_options.h"
#include "core/conversation.h"
#include "core/data_dir.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/process_memory.h"
#include "engine/session/kv_rows.h"
#include "store/stored_conversation.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace glimpse::cli {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double mib(double bytes) { return bytes / 1048576.0; }

// One thing measured: a policy, at a budget unless it keeps everything.
struct Configuration {
    std::string policy;
    int64_t budget = 0;   // 0 for full
    std::string label() const { return budget > 0 ? policy + " " + std::to_string(budget) : policy; }
};

std::vector<Configuration> configurations_of(const DocumentBenchOptions& opt) {
    std::vector<Configuration> out;
    for (const auto& policy : opt.policies) {
        engine::describe_policy(policy);   // an unknown name fails here, before any work
        if (policy == "full") {
            out.push_back({policy, 0});
            continue;
        }
        for (const int64_t budget : opt.budgets) out.push_back({policy, budget});
    }
    return out;
}

class TemporaryFolder {
public:
    TemporaryFolder() {
        std::string name = (std::filesystem::temp_directory_path() / "glimpse-bench-XXXXXX").string();
        if (!mkdtemp(name.data())) throw engine::Error(engine::ErrorKind::Io, "cannot make a temporary folder in " + name);
        path_ = name;
    }
    ~TemporaryFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TemporaryFolder(const TemporaryFolder&) = delete;
    TemporaryFolder& operator=(const TemporaryFolder&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
    if (!f) throw engine::Error(engine::ErrorKind::Io, "cannot write " + path.string());
}

// The file read as `ask --doc` reads it.
std::vector<PromptDocument> read_document(const std::string& path) {
    DocumentOptions options;
    options.paths = {path};
    return store::prompt_documents(load_documents(options));
}

// The prompt a Conversation builds for the first question (no system prompt of our own).
DocumentPrompt first_prompt(const LoadedModel& loaded, const std::vector<PromptDocument>& documents,
                            const std::string& question) {
    return build_document_prompt(loaded.tokenizer, loaded.chat, documents, question, /*system_prompt=*/"");
}

// ---- the generated document ------------------------------------------------------------

// The Debian Administrator's Handbook's paragraphs in the evaluation's haystack corpus
// (resources/eval/haystack.jsonl), file by file in name order: real prose, and none of it
// in the LookaheadKV adapter's training corpus.
std::vector<std::string> handbook_paragraphs() {
    const auto corpus = eval::HaystackCorpus::load(data_file("eval/haystack.jsonl"));
    std::vector<std::string> names;
    for (const auto split : {eval::EvalSplit::Train, eval::EvalSplit::Eval})
        for (const auto& name : corpus.documents(split))
            if (name.starts_with("debian-handbook/")) names.push_back(name);
    std::sort(names.begin(), names.end());
    std::vector<std::string> paragraphs;
    for (const auto& name : names)
        for (const auto& p : corpus.paragraphs(name)) paragraphs.push_back(p);
    if (paragraphs.empty()) throw engine::Error("eval/haystack.jsonl holds no paragraph of the Debian handbook");
    return paragraphs;
}

// The title, `count` whole paragraphs and the first `words` words of the next one.
std::string handbook_text(const std::vector<std::string>& paragraphs, int64_t count, int64_t words) {
    std::string text = "# The Debian Administrator's Handbook (excerpts)\n\n";
    for (int64_t i = 0; i < count; ++i) text += paragraphs[static_cast<size_t>(i)] + "\n\n";
    if (words > 0) {
        const std::string& next = paragraphs[static_cast<size_t>(count)];
        size_t end = 0;
        for (int64_t w = 0; w < words && end != std::string::npos; ++w) end = next.find(' ', end + (w > 0));
        text += next.substr(0, end) + "\n";
    }
    return text;
}

int64_t word_count(const std::string& text) { return std::count(text.begin(), text.end(), ' ') + 1; }

// Writes a text document to `file` whose prompt, with the question, is as long as it can
// be without passing `target` tokens: measured through the file, as it will be read.
void write_generated_document(const LoadedModel& loaded, const std::string& question, int64_t target,
                              const std::filesystem::path& file) {
    const auto paragraphs = handbook_paragraphs();
    auto fits = [&](int64_t count, int64_t words) {
        write_file(file, handbook_text(paragraphs, count, words));
        return static_cast<int64_t>(first_prompt(loaded, read_document(file.string()), question).tokens.size()) <= target;
    };
    const int64_t per_paragraph = 80;   // tokens, about, in the corpus: only where the search starts
    const int64_t last = static_cast<int64_t>(paragraphs.size()) - 1;
    const int64_t count =
        eval::largest_fitting_count([&](int64_t n) { return fits(n, 0); }, target / per_paragraph, last);
    const int64_t words = count < 0 ? -1
                                    : eval::largest_fitting_count([&](int64_t w) { return fits(count, w); }, 8,
                                                                  word_count(paragraphs[static_cast<size_t>(count)]) - 1);
    if (count < 0 || (count == 0 && words < 1))
        throw engine::Error("--prompt-tokens " + std::to_string(target) +
                            " leaves no room for a document beside the template and the question");
    write_file(file, handbook_text(paragraphs, count, words));
}

// ---- one configuration, in its own process ----------------------------------------------

json measure_configuration(const DocumentBenchOptions& opt) {
    ModelOptions model_options;
    model_options.model = opt.model;
    model_options.threads = opt.threads;
    model_options.policy = opt.policies.at(0);
    model_options.budget = opt.budgets.at(0);
    auto t = Clock::now();
    const LoadedModel loaded = load_model(model_options);
    const double model_seconds = seconds_since(t);
    t = Clock::now();
    const auto documents = read_document(opt.file);
    const double document_seconds = seconds_since(t);

    std::shared_ptr<engine::EvictionPolicy> policy;   // the one the last question was read with
    ConversationOptions options;
    options.sampling.max_new_tokens = opt.gen_tokens;   // greedy
    options.kv_type = engine::parse_kv_type(opt.kv_type);
    options.make_policy = [&] { return policy = loaded.make_policy(); };

    json out;
    out["policy"] = loaded.policy;
    out["budget"] = loaded.policy == "full" ? 0 : loaded.policy_options.budget;
    out["kv_type"] = opt.kv_type;
    out["model_load_s"] = model_seconds;
    out["document_load_s"] = document_seconds;
    for (const char* key : {"first_token_s", "prefill_tok_s", "evict_share", "rows_share", "decode_tok_s", "answer_tokens"})
        out[key] = json::array();
    for (int run = 0; run < opt.runs; ++run) {
        // A new conversation about the document, as when a person drops it on the window.
        Conversation conversation(loaded, options, documents);
        double first_piece = -1.0;
        const auto start = Clock::now();
        TurnCallbacks callbacks;
        callbacks.on_piece = [&](std::string_view) {
            if (first_piece < 0) first_piece = seconds_since(start);
        };
        const TurnReport turn = conversation.ask(opt.question, callbacks);
        if (first_piece < 0) first_piece = seconds_since(start);   // an answer without text
        const engine::PrefillStats& read = turn.prefill;
        out["first_token_s"].push_back(first_piece);
        out["prefill_tok_s"].push_back(read.tokens_per_second());
        out["evict_share"].push_back(read.seconds > 0 ? read.eviction_seconds / read.seconds : 0.0);
        out["rows_share"].push_back(read.seconds > 0 && policy ? policy->rows_seconds() / read.seconds : 0.0);
        out["decode_tok_s"].push_back(turn.generation.tokens_per_second);
        out["answer_tokens"].push_back(turn.generation.generated_tokens);
        out["read_tokens"] = turn.read_tokens;
        out["windows"] = read.windows;
        out["kv_bytes"] = read.kept_bytes;
        out["full_kv_bytes"] = read.full_bytes;
        out["answer"] = turn.answer;
    }
    out["peak_rss_bytes"] = engine::peak_rss_bytes();
    return out;
}

// Runs this program again to measure one configuration; its JSON, or {"error": why}.
json run_configuration(const DocumentBenchOptions& opt, const Configuration& c, const std::string& file, int threads) {
    const int64_t budget = c.budget > 0 ? c.budget : opt.budgets.front();   // full takes none, the option one
    std::vector<std::string> argv{own_executable(), "bench", "--document", file, "--measure-configuration",
                                  "--policies", c.policy, "--budgets", std::to_string(budget),
                                  "--runs", std::to_string(opt.runs), "--gen-tokens", std::to_string(opt.gen_tokens),
                                  "--threads", std::to_string(threads), "--kv-type", opt.kv_type,
                                  "--question", opt.question};
    if (!opt.model.empty()) {
        argv.push_back("--model");
        argv.push_back(opt.model);
    }
    const ChildResult r = run_child(argv);
    json j = json::parse(r.output, nullptr, false);
    if (r.exit_code != 0 || j.is_discarded() || !j.is_object())
        j = {{"error", "the process measuring it " + describe_end(r)}};
    j["policy"] = c.policy;
    j["budget"] = c.budget;
    return j;
}

// ---- llama.cpp ----------------------------------------------------------------------------

// llama.cpp on the same prompt tokens: the script's "document" object with "engine" added, or
// {"skipped": why} / {"error": why}.
json measure_llamacpp(const DocumentBenchOptions& opt, const LoadedModel& loaded, const DocumentPrompt& prompt,
                      int threads, const std::filesystem::path& folder) {
    const int64_t tokens = static_cast<int64_t>(prompt.tokens.size());
    if (tokens + opt.gen_tokens > loaded.context_length())
        return {{"skipped", "the prompt (" + std::to_string(tokens) + " tokens) and the answer (" +
                                std::to_string(opt.gen_tokens) + ") do not fit the model's context window of " +
                                std::to_string(loaded.context_length()) + ", and llama.cpp does not read in windows"}};
    if (const std::string why = llamacpp_unavailable(opt.llamacpp); !why.empty()) return {{"skipped", why}};
    std::fprintf(stderr, "measuring llama.cpp on the same prompt tokens...\n");
    const auto prompt_file = folder / "prompt.json";
    write_file(prompt_file, json{{"text", prompt.text}, {"tokens", prompt.tokens}}.dump());
    try {
        const json j = run_llamacpp(opt.llamacpp, loaded.path.string(),
                                    {"--document", prompt_file.string(), "--gen-tokens", std::to_string(opt.gen_tokens),
                                     "--threads", std::to_string(threads), "--runs", std::to_string(opt.runs)});
        json out = j.at("document");
        out["engine"] = j.value("reference", "llama.cpp");
        return out;
    } catch (const engine::Error& e) {
        return {{"error", e.what()}};
    } catch (const json::exception& e) {
        return {{"error", std::string("the llama.cpp comparison printed unexpected JSON: ") + e.what()}};
    }
}

// ---- the report -----------------------------------------------------------------------------

double median_of(const json& row, const char* key) {
    return row.contains(key) ? median(row[key].get<std::vector<double>>()) : 0.0;
}

void add_medians(json& row) {
    for (const char* key : {"first_token_s", "prefill_tok_s", "evict_share", "rows_share", "decode_tok_s", "answer_tokens"})
        if (row.contains(key)) row[std::string(key) + "_median"] = median_of(row, key);
    if (row.contains("peak_rss_bytes")) row["peak_rss_mib"] = mib(row["peak_rss_bytes"].get<double>());
    if (row.contains("kv_bytes")) row["kv_mib"] = mib(row["kv_bytes"].get<double>());
}

// glimpse / llama.cpp for one measured configuration.
json ratios_of(const json& row, const json& peer) {
    return {{"policy", row["policy"]},
            {"budget", row["budget"]},
            {"prefill", median_of(row, "prefill_tok_s") / median_of(peer, "prefill_tok_s")},
            {"decode", median_of(row, "decode_tok_s") / median_of(peer, "decode_tok_s")},
            {"first_token_time", median_of(row, "first_token_s") / median_of(peer, "first_token_s")},
            {"kv", row["kv_bytes"].get<double>() / peer["kv_bytes"].get<double>()},
            {"peak_rss_difference_mib", mib(row["peak_rss_bytes"].get<double>() - peer["peak_rss_bytes"].get<double>())}};
}

void print_table(const json& report) {
    std::printf("document bench: %s, %lld pages, prompt %lld tokens (%lld of the document), model %s, %d threads\n",
                report["document"].get<std::string>().c_str(), report["pages"].get<long long>(),
                report["prompt_tokens"].get<long long>(), report["document_tokens"].get<long long>(),
                report["model"].get<std::string>().c_str(), report["threads"].get<int>());
    std::printf("question: \"%s\"; up to %lld answer tokens, greedy; median of %d runs; each configuration in its own "
                "process\n", report["question"].get<std::string>().c_str(), report["gen_tokens"].get<long long>(),
                report["runs"].get<int>());
    std::printf("| engine | policy | budget | windows | first token s | prefill tok/s | evict %% | rows %% | decode tok/s "
                "| answer tokens | KV MiB | peak RSS MiB |\n");
    std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    std::vector<std::string> notes;
    for (const auto& row : report["configurations"]) {
        const std::string label = row["policy"].get<std::string>() +
                                  (row["budget"].get<int64_t>() > 0 ? " " + std::to_string(row["budget"].get<int64_t>()) : "");
        if (row.contains("error")) {
            notes.push_back(label + ": not measured: " + row["error"].get<std::string>());
            continue;
        }
        const int64_t budget = row["budget"].get<int64_t>();
        std::printf("| glimpse | %s | %s | %lld | %.2f | %.1f | %.2f | %.2f | %.1f | %.0f | %.1f | %.0f |\n",
                    row["policy"].get<std::string>().c_str(), budget > 0 ? std::to_string(budget).c_str() : "-",
                    row["windows"].get<long long>(), median_of(row, "first_token_s"), median_of(row, "prefill_tok_s"),
                    100.0 * median_of(row, "evict_share"), 100.0 * median_of(row, "rows_share"),
                    median_of(row, "decode_tok_s"), median_of(row, "answer_tokens"), row["kv_mib"].get<double>(),
                    row["peak_rss_mib"].get<double>());
    }
    const json& peer = report["llamacpp"];
    if (peer.contains("engine")) {
        std::printf("| %s | full (f16 KV) | - | 1 | %.2f | %.1f | - | - | %.1f | %lld | %.1f | %.0f |\n",
                    peer["engine"].get<std::string>().c_str(), median_of(peer, "first_token_s"),
                    median_of(peer, "prefill_tok_s"), median_of(peer, "decode_tok_s"), report["gen_tokens"].get<long long>(),
                    peer["kv_mib"].get<double>(), peer["peak_rss_mib"].get<double>());
    }
    for (const auto& note : notes) std::printf("%s\n", note.c_str());
    if (peer.contains("skipped")) std::printf("llama.cpp: skipped: %s\n", peer["skipped"].get<std::string>().c_str());
    if (peer.contains("error")) std::printf("llama.cpp: failed: %s\n", peer["error"].get<std::string>().c_str());
    if (peer.contains("same_tokens") && !peer["same_tokens"].get<bool>())
        std::printf("note: llama.cpp tokenizes the prompt text differently; it was given glimpse's tokens\n");
    for (const auto& r : report["ratios"]) {
        const int64_t budget = r["budget"].get<int64_t>();
        std::printf("ratio glimpse %s%s/llama.cpp: prefill %.2fx, decode %.2fx, first token time %.2fx, KV %.2fx, "
                    "peak RSS %+.0f MiB\n",
                    r["policy"].get<std::string>().c_str(), budget > 0 ? (" " + std::to_string(budget)).c_str() : "",
                    r["prefill"].get<double>(), r["decode"].get<double>(), r["first_token_time"].get<double>(),
                    r["kv"].get<double>(), r["peak_rss_difference_mib"].get<double>());
    }
    std::printf("first token: from the question to the first answer token (prompt built and tokenized, read, the first "
                "token sampled and read);\nevict %%: the share of the prefill spent choosing what to keep, rows %%: the "
                "part of it running LookaheadKV's rows;\nKV: K and V kept after the prompt, glimpse's in %s%s\n",
                report["kv_type"].get<std::string>().c_str(),
                peer.contains("engine") ? ", llama.cpp's in f16; llama.cpp decodes past the end of its answer, glimpse "
                                          "stops there"
                                        : "");
}

}  // namespace

void run_document_bench(const DocumentBenchOptions& opt_in) {
    DocumentBenchOptions opt = opt_in;
    if (opt.runs < 1) throw engine::Error("--runs must be at least 1");
    if (opt.policies.empty()) throw engine::Error("--policies names no policy");
    if (opt.budgets.empty()) throw engine::Error("--budgets names no budget");
    if (opt.question.empty()) opt.question = kDefaultBenchQuestion;
    if (opt.measure_configuration) {
        json out;
        try {
            out = measure_configuration(opt);
        } catch (const engine::Error& e) {
            out = {{"error", e.what()}};
        }
        std::printf("%s\n", out.dump().c_str());
        return;
    }
    const auto configurations = configurations_of(opt);
    const int threads = opt.threads > 0 ? opt.threads : static_cast<int>(std::thread::hardware_concurrency());

    ModelOptions model_options;
    model_options.model = opt.model;
    model_options.threads = 1;
    model_options.policy = "full";   // here only the tokenizer and template are needed
    const LoadedModel loaded = load_model(model_options);
    if (opt.gen_tokens >= loaded.context_length())
        throw engine::Error("--gen-tokens " + std::to_string(opt.gen_tokens) + " leaves no room in the context window of " +
                            std::to_string(loaded.context_length()));

    TemporaryFolder folder;
    std::string file = opt.file;
    if (file.empty()) {
        const int64_t target = opt.prompt_tokens > 0 ? opt.prompt_tokens : loaded.context_length() - opt.gen_tokens;
        std::fprintf(stderr, "writing a document of up to %lld prompt tokens...\n", (long long)target);
        file = (folder.path() / "debian-handbook-excerpts.txt").string();
        write_generated_document(loaded, opt.question, target, file);
    }
    const auto documents = read_document(file);
    const DocumentPrompt prompt = first_prompt(loaded, documents, opt.question);

    json report;
    report["document"] = opt.file.empty() ? std::string("generated (Debian Administrator's Handbook excerpts)") : opt.file;
    report["pages"] = documents.empty() ? 0 : documents.front().pages.size();
    report["prompt_tokens"] = prompt.tokens.size();
    report["document_tokens"] = prompt.document_tokens;
    report["question"] = opt.question;
    report["model"] = loaded.path.filename().string();
    report["threads"] = threads;
    report["gen_tokens"] = opt.gen_tokens;
    report["kv_type"] = opt.kv_type;
    report["runs"] = opt.runs;
    report["configurations"] = json::array();
    for (size_t i = 0; i < configurations.size(); ++i) {
        std::fprintf(stderr, "measuring %s (%zu of %zu), %d run%s of a %zu-token prompt...\n",
                     configurations[i].label().c_str(), i + 1, configurations.size(), opt.runs, opt.runs == 1 ? "" : "s",
                     prompt.tokens.size());
        json row = run_configuration(opt, configurations[i], file, threads);
        if (!row.contains("error") && row["read_tokens"].get<size_t>() != prompt.tokens.size())
            std::fprintf(stderr, "glimpse-cli: warning: %s read %lld tokens, the prompt built here has %zu\n",
                         configurations[i].label().c_str(), row["read_tokens"].get<long long>(), prompt.tokens.size());
        add_medians(row);
        report["configurations"].push_back(std::move(row));
    }
    json peer = json::object();
    if (opt.llamacpp.compare) {
        peer = measure_llamacpp(opt, loaded, prompt, threads, folder.path());
        if (peer.contains("skipped")) std::fprintf(stderr, "llama.cpp comparison skipped: %s\n", peer["skipped"].get<std::string>().c_str());
        add_medians(peer);
    }
    report["llamacpp"] = peer;
    report["ratios"] = json::array();
    if (peer.contains("engine"))
        for (const auto& row : report["configurations"])
            if (!row.contains("error")) report["ratios"].push_back(ratios_of(row, peer));

    if (opt.json)
        std::printf("%s\n", report.dump(2).c_str());
    else
        print_table(report);
}

}  // namespace glimpse::cli
