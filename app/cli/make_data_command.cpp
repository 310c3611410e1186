// glimpse-cli make-data: training data for the LookaheadKV trainer. Sample i is a prompt
// generated from (--seed, i), the model's greedy answer with the full cache, and the attention
// that answer paid each prompt token, written to DIR/sample-<i>.gguf. A share of the samples
// (--context-only) are context-only: the document is what the lookahead rows read and what the
// target covers, and its question comes after, as for a follow-up question in a chat; another
// share (--multi-turn) are conversations of 2 or 3 questions about the document, the model's
// own answers between them, whose target is where the answer to the last question looked in
// the document; another (--windowed) stop the prompt inside the document, as the rows see it
// when a window of a document longer than the context has been read and the question part
// after it, and take as target where the answer (to the question after the whole document)
// looked among the tokens read so far.
// The prompt's full cache is kept beside each sample (--prompt-cache) for the trainer. Runs
// resume: a valid
// sample already on disk for the same model and seed is skipped. Ctrl-C stops between
// forward steps and leaves no partial file (each file is written whole, then renamed).

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/model_options.h"
#include "core/data_dir.h"
#include "core/model_setup.h"
#include "engine/error.h"
#include "app/eval/haystack_corpus.h"
#include "app/eval/seeded_random.h"
#include "engine/lookahead/attention_targets.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/prompt_cache_file.h"
#include "app/eval/training_prompts.h"
#include "engine/lookahead/training_sample.h"
#include "engine/session/compressed_cache.h"
#include "engine/quant/quantize.h"
#include "eval/progress_bar.h"
#include "prompt/document_prompt.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>

namespace glimpse::cli {
namespace {

namespace fs = std::filesystem;
namespace la = engine::lookahead;

struct MakeDataOptions {
    ModelOptions model;
    std::string out;
    int64_t samples = 0;
    uint64_t seed = 1;
    int min_length = 512;
    int max_length = 0;   // 0: the model's context window less the response
    int64_t response_tokens = 64;
    double context_only = 0.0;   // share of the samples whose document is compressed before the question
    double multi_turn = 0.0;     // share of the samples that are conversations of 2 or 3 questions
    double windowed = 0.0;       // share of the samples whose prompt stops inside the document
    std::string prompt_cache = "f16";   // type of the prompt caches kept for the trainer, or "none"
    std::string shard = "0/1";          // "K/N": this run makes the samples i with i % N == K
    std::string corpus;   // empty: lookahead/training_corpus.jsonl in the data directory
};

fs::path sample_path(const fs::path& dir, int64_t index) {
    char name[32];
    std::snprintf(name, sizeof name, "sample-%06lld.gguf", static_cast<long long>(index));
    return dir / name;
}

// Whether the sample of this seed is context-only: a draw of its own, so that the share
// changes which samples are context-only and nothing else about them.
bool is_context_only(uint64_t seed, double share) {
    const uint64_t draw = glimpse::eval::mix_64(seed ^ glimpse::eval::fnv1a_64("context-only"));
    return static_cast<double>(draw >> 11) * 0x1p-53 < share;
}

// Room a follow-up turn takes beyond its answer: the question and the template's turn markers.
constexpr int64_t kFollowUpRoom = 128;

// How a sample is read: multi-turn (turns > 1) and windowed samples are context-only too.
struct SampleSetting {
    bool context_only = false;
    int turns = 1;
    bool windowed = false;
};

struct SettingShares {
    double context_only = 0.0, multi_turn = 0.0, windowed = 0.0;
};

// The setting of the sample of this seed: draws of its own, so that the shares change which
// samples are context-only, multi-turn or windowed and nothing else about them.
SampleSetting setting_of(uint64_t seed, SettingShares shares) {
    auto draw = [&](const char* name) { return glimpse::eval::mix_64(seed ^ glimpse::eval::fnv1a_64(name)); };
    auto unit = [](uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1p-53; };
    const uint64_t kind = draw("multi-turn");
    if (unit(kind) < shares.multi_turn) return {true, 2 + static_cast<int>(kind & 1)};
    if (unit(kind) < shares.multi_turn + shares.windowed) return {true, 1, true};
    return {is_context_only(seed, shares.context_only), 1};
}

// Where a windowed sample's prompt stops among the n tokens read before the question (the
// template's start and the document): between a quarter and three quarters of the way,
// drawn from the seed alone.
int64_t window_end(uint64_t seed, int64_t n) {
    const uint64_t draw = glimpse::eval::mix_64(seed ^ glimpse::eval::fnv1a_64("window-end"));
    return n / 4 + static_cast<int64_t>(draw % static_cast<uint64_t>(std::max<int64_t>(1, n / 2)));
}

// A file already there counts as done only if it reads back whole and was made by this
// model for this sample's seed and setting; anything else is made again.
bool is_done(const fs::path& path, uint64_t fingerprint, uint64_t seed, SampleSetting setting) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return false;
    try {
        const auto s = la::read_training_sample(path);
        if (s.model_fingerprint == fingerprint && s.seed == seed && s.context_only() == setting.context_only &&
            s.turns == setting.turns && s.windowed == setting.windowed)
            return true;
        std::fprintf(stderr, "%s: made by another model, seed or setting; making it again\n", path.string().c_str());
    } catch (const engine::Error& e) {
        std::fprintf(stderr, "%s; making it again\n", e.what());
    }
    return false;
}

// "K/N" -> {K, N}; throws engine::Error unless 0 <= K < N.
std::pair<int64_t, int64_t> parse_shard(const std::string& text) {
    const size_t slash = text.find('/');
    int64_t k = -1, n = 0;
    try {
        size_t used_k = 0, used_n = 0;
        if (slash != std::string::npos) {
            k = std::stoll(text.substr(0, slash), &used_k);
            n = std::stoll(text.substr(slash + 1), &used_n);
        }
        if (used_k != slash || used_n != text.size() - slash - 1) k = -1;
    } catch (const std::exception&) {
        k = -1;
    }
    if (k < 0 || n <= 0 || k >= n)
        throw engine::Error("make-data: --shard '" + text + "' is not K/N with 0 <= K < N (e.g. 0/4 ... 3/4)");
    return {k, n};
}

// Files a killed run of this shard left half-written under their temporary names (a
// sample's and its prompt cache's); other shards' runs may be writing theirs.
void remove_partial_files(const fs::path& dir, int64_t shard, int64_t shards) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with("sample-") || !name.ends_with(".partial")) continue;
        const size_t digits = name.find_first_not_of("0123456789", 7);
        if (digits == 7 || digits == std::string::npos || digits > 7 + 18) continue;
        if (std::stoll(name.substr(7, digits - 7)) % shards == shard) fs::remove(entry.path(), ec);
    }
}

// Rows of n_from weights become rows of n_to, the tokens after the first n_from weighing nothing.
void widen_targets(la::AttentionTargets& targets, int64_t n_from, int64_t n_to) {
    const auto rows = static_cast<int64_t>(targets.target.size()) / n_from;
    std::vector<double> wide(static_cast<size_t>(rows * n_to), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        std::copy_n(targets.target.begin() + r * n_from, n_from, wide.begin() + r * n_to);
    targets.target = std::move(wide);
}

std::string source_kind(const la::TrainingSample& s) {
    const std::string setting = s.turns > 1       ? std::to_string(s.turns) + "-turn:"
                                : s.windowed      ? "windowed:"
                                : s.context_only() ? "context-only:"
                                                   : "";
    return setting + (s.source.starts_with("doc:") ? "doc/" + s.instruction : s.source);
}

void run_make_data(const MakeDataOptions& opt) {
    // Options first: a mistake is reported before the model loads.
    if (opt.multi_turn + opt.windowed > 1.0) {
        char shares[96];
        std::snprintf(shares, sizeof shares, "--multi-turn %g and --windowed %g", opt.multi_turn, opt.windowed);
        throw engine::Error("make-data: " + std::string(shares) + " add up to more than all the samples");
    }
    const SettingShares shares{opt.context_only, opt.multi_turn, opt.windowed};
    const auto [shard, shards] = parse_shard(opt.shard);
    const std::optional<engine::GgmlType> cache_type = la::parse_prompt_cache_type(opt.prompt_cache);
    const fs::path out = opt.out;
    auto loaded = load_model(opt.model);
    const auto& config = loaded.model->config();
    const uint64_t fingerprint = engine::LookaheadBase::of(*loaded.model).fingerprint;
    const auto corpus = glimpse::eval::HaystackCorpus::load(
        opt.corpus.empty() ? data_file("lookahead/training_corpus.jsonl").string() : opt.corpus);

    const int64_t context = config.context_length;
    const int max_length = opt.max_length > 0 ? opt.max_length : static_cast<int>(context - opt.response_tokens);
    if (max_length + opt.response_tokens > context)
        throw engine::Error("make-data: --max-length " + std::to_string(max_length) + " plus --response-tokens " +
                            std::to_string(opt.response_tokens) + " exceeds the model's context window of " +
                            std::to_string(context) + " tokens");
    if (max_length < opt.min_length)
        throw engine::Error("make-data: --max-length " + std::to_string(max_length) + " is below --min-length " +
                            std::to_string(opt.min_length));
    // The chat template's own tokens (system prompt, turn markers) count toward the length.
    const std::vector<engine::ChatMessage> empty{{"user", ""}};
    const int overhead = static_cast<int>(tokenize_rendered(loaded.tokenizer, loaded.chat, loaded.chat.render(empty, true)).size());
    if (opt.min_length - overhead < 128)
        throw engine::Error("make-data: --min-length " + std::to_string(opt.min_length) + " leaves " +
                            std::to_string(opt.min_length - overhead) + " tokens for the text after the chat template's " +
                            std::to_string(overhead) + "; use at least " + std::to_string(128 + overhead));
    // A conversation's document leaves room for the turns after the first.
    auto prompt_options = [&](SampleSetting setting) {
        const int follow_ups = static_cast<int>((setting.turns - 1) * (opt.response_tokens + kFollowUpRoom));
        return glimpse::eval::TrainingPromptOptions{opt.min_length - overhead, max_length - overhead - follow_ups};
    };
    if (opt.multi_turn > 0.0 && prompt_options({true, 3}).max_tokens < prompt_options({true, 3}).min_tokens)
        throw engine::Error("make-data: --max-length " + std::to_string(max_length) + " leaves no room for three-question "
                            "conversations of " + std::to_string(opt.response_tokens) + "-token answers above --min-length " +
                            std::to_string(opt.min_length) + "; raise --max-length or lower --multi-turn to 0");
    auto count_tokens = [&](std::string_view text) { return static_cast<int>(loaded.tokenizer.encode(text, false, false).size()); };

    std::error_code ec;
    fs::create_directories(out, ec);
    if (!fs::is_directory(out)) throw engine::Error(out.string() + ": cannot create the output directory");
    remove_partial_files(out, shard, shards);

    std::vector<int64_t> todo;
    int64_t mine = 0;
    for (int64_t i = shard; i < opt.samples; i += shards) {
        ++mine;
        const uint64_t seed = glimpse::eval::training_prompt_seed(opt.seed, static_cast<uint64_t>(i));
        if (!is_done(sample_path(out, i), fingerprint, seed, setting_of(seed, shares))) todo.push_back(i);
    }
    const int64_t skipped = mine - static_cast<int64_t>(todo.size());
    std::fprintf(stderr,
                 "make-data: %lld samples in %s%s, %lld already there, %lld to make (lengths %d..%d tokens, %lld response "
                 "tokens, %.0f%% multi-turn, %.0f%% windowed, %.0f%% of the rest context-only)\n",
                 static_cast<long long>(mine), out.string().c_str(),
                 shards > 1 ? (" (shard " + opt.shard + " of " + std::to_string(opt.samples) + ")").c_str() : "",
                 static_cast<long long>(skipped),
                 static_cast<long long>(todo.size()), opt.min_length, max_length, static_cast<long long>(opt.response_tokens),
                 100.0 * opt.multi_turn, 100.0 * opt.windowed, 100.0 * opt.context_only);

    const std::atomic<bool>* cancel = install_interrupt_flag();
    eval::ProgressBar progress(QStringLiteral("make-data"), static_cast<qint64>(todo.size()));
    int64_t made = 0, prompt_tokens = 0, response_tokens = 0;
    std::map<std::string, int64_t> kinds;
    const auto start = std::chrono::steady_clock::now();
    bool interrupted = false;
    for (int64_t i : todo) {
        if (cancel->load()) {
            interrupted = true;
            break;
        }
        const SampleSetting setting =
            setting_of(glimpse::eval::training_prompt_seed(opt.seed, static_cast<uint64_t>(i)), shares);
        const auto prompt = glimpse::eval::generate_training_prompt(corpus, opt.seed, static_cast<uint64_t>(i),
                                                                    prompt_options(setting), count_tokens);
        std::vector<engine::ChatMessage> messages{{"user", prompt.text}};
        // The document compressed before the first question; the rest read after it.
        auto split = [&] {
            return split_at_question(loaded.tokenizer, loaded.chat, loaded.chat.render(messages, true), "\n\n" + prompt.question);
        };
        // The prompt's full cache goes beside the sample: the trainer reads it instead of
        // prefilling the prompt again at every visit.
        const auto save_cache = [&](const engine::CompressedCache& cache) {
            if (cache_type) la::save_prompt_cache(cache.with_kv_type(*cache_type), la::prompt_cache_path(sample_path(out, i)));
        };
        std::vector<int32_t> tokens, question;
        std::optional<la::AttentionTargets> targets;
        if (setting.turns > 1) {
            // A conversation: each question answered greedily with the full cache, the answer's
            // text written into the chat as the model said it, then the next question. One
            // session reads it as it grows; when the chat's tokens change before its end (a
            // tokenizer merging across a turn's edge), it reads them again from the start.
            std::optional<la::FullCacheReader> reader;
            std::vector<int32_t> held;   // what the reader has read: the document part, then the question part
            auto catch_up = [&]() -> bool {
                auto now = split();
                std::vector<int32_t> all = now.context;
                all.insert(all.end(), now.question.begin(), now.question.end());
                const bool grows = reader && now.context == tokens && all.size() > held.size() &&
                                   std::equal(held.begin(), held.end(), all.begin());
                tokens = std::move(now.context);
                question = std::move(now.question);
                if (!grows) {
                    reader.emplace(loaded.model, opt.model.threads);
                    if (!reader->read(tokens, cancel)) return false;
                    save_cache(reader->cache());
                    held = tokens;
                }
                if (!reader->read(std::span<const int32_t>(all).subspan(held.size()), cancel)) return false;
                held = std::move(all);
                return true;
            };
            for (const std::string& next : glimpse::eval::follow_up_questions(prompt, setting.turns - 1)) {
                if (!catch_up()) break;
                auto said = reader->answer(opt.response_tokens, cancel);
                if (!said) break;
                std::erase_if(*said, [&](int32_t t) { return loaded.tokenizer.is_special(t); });
                messages.push_back({"assistant", loaded.tokenizer.decode(*said)});
                messages.push_back({"user", next});
            }
            if (!cancel->load() && catch_up())
                targets = reader->answer_with_targets(static_cast<int64_t>(tokens.size()), opt.response_tokens, cancel);
        } else if (setting.windowed) {
            // The rows run when a window ends inside the document, after windowed reading has
            // read the question part behind it: the prompt is what was read so far, then the
            // question part. The answer is the one the whole prompt gets; its target covers
            // what was read so far, and the question part's entries, dropped once the window
            // is evicted, get none.
            auto read = split();
            const auto end = static_cast<size_t>(window_end(prompt.seed, static_cast<int64_t>(read.context.size())));
            const std::span<const int32_t> so_far(read.context.data(), end);
            tokens.assign(so_far.begin(), so_far.end());
            tokens.insert(tokens.end(), read.question.begin(), read.question.end());
            question.assign(read.context.begin() + static_cast<std::ptrdiff_t>(end), read.context.end());
            question.insert(question.end(), read.question.begin(), read.question.end());
            la::FullCacheReader reader(loaded.model, opt.model.threads);
            std::optional<engine::CompressedCache> probed;
            if (reader.read(so_far, cancel) && (probed = reader.cache_with(read.question, cancel))) {
                save_cache(*probed);
                probed.reset();
                if (reader.read(question, cancel))
                    targets = reader.answer_with_targets(static_cast<int64_t>(end), opt.response_tokens, cancel);
            }
            if (targets) widen_targets(*targets, static_cast<int64_t>(end), static_cast<int64_t>(tokens.size()));
        } else {
            if (setting.context_only) {
                auto read = split();
                tokens = std::move(read.context);
                question = std::move(read.question);
            } else {
                tokens = tokenize_rendered(loaded.tokenizer, loaded.chat, loaded.chat.render(messages, true));
            }
            targets = la::compute_attention_targets(
                loaded.model, tokens,
                {.response_tokens = opt.response_tokens, .threads = opt.model.threads, .question = question,
                 .on_prompt_cache = save_cache},
                cancel);
        }
        if (!targets) {
            interrupted = true;
            break;
        }
        la::TrainingSample s;
        s.source = prompt.source;
        s.instruction = prompt.instruction;
        s.seed = prompt.seed;
        s.model_fingerprint = fingerprint;
        s.n_layers = config.n_layers;
        s.n_kv_heads = config.n_kv_heads;
        s.prompt = tokens;
        s.question = question;
        s.turns = setting.turns;
        s.windowed = setting.windowed;
        s.response = targets->response;
        s.target.reserve(targets->target.size());
        for (double w : targets->target) s.target.push_back(engine::fp32_to_fp16(static_cast<float>(w)));
        la::write_training_sample(s, sample_path(out, i));
        ++made;
        prompt_tokens += static_cast<int64_t>(s.prompt.size());
        response_tokens += static_cast<int64_t>(s.response.size());
        ++kinds[source_kind(s)];
        progress.update(made);
    }
    progress.finish();
    clear_interrupt_flag();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("made %lld samples, skipped %lld already there%s\n", static_cast<long long>(made),
                static_cast<long long>(skipped), interrupted ? "; interrupted, run again to go on" : "");
    if (made > 0) {
        std::printf("tokens: %lld prompt (mean %.0f), %lld response (mean %.1f); %.2f s per sample\n",
                    static_cast<long long>(prompt_tokens), double(prompt_tokens) / made, static_cast<long long>(response_tokens),
                    double(response_tokens) / made, seconds / made);
        std::printf("sources:");
        for (const auto& [kind, n] : kinds) std::printf(" %s %lld", kind.c_str(), static_cast<long long>(n));
        std::printf("\n");
    }
    if (interrupted) throw engine::Error("make-data: interrupted; the samples written so far are complete");
}

}  // namespace

void add_make_data_command(CLI::App& app) {
    auto opt = std::make_shared<MakeDataOptions>();
    auto* cmd = app.add_subcommand("make-data", "Write LookaheadKV training samples: prompts, greedy answers and their attention");
    cmd->add_option("--model,-m", opt->model.model, "GGUF model file (default: the default model, see scripts/fetch-model)");
    cmd->add_option("--threads,-t", opt->model.threads, "CPU threads (default: one per hardware thread)")
        ->check(CLI::Range(0, 1024));
    cmd->add_option("--out", opt->out, "Folder for sample-NNNNNN.gguf files")->required();
    cmd->add_option("--samples", opt->samples, "How many samples (indices 0..N-1)")->required()->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    cmd->add_option("--seed", opt->seed, "Base seed; sample i depends only on (seed, i)");
    cmd->add_option("--min-length", opt->min_length, "Shortest prompt in tokens, chat template included")
        ->check(CLI::Range(1, 1 << 24));
    cmd->add_option("--max-length", opt->max_length, "Longest prompt in tokens (default: the context window less the response)")
        ->check(CLI::Range(1, 1 << 24));
    cmd->add_option("--response-tokens", opt->response_tokens, "Most tokens of the greedy answer")->check(CLI::Range(1, 4096));
    cmd->add_option("--context-only", opt->context_only,
                    "Share of the samples that are neither multi-turn nor windowed (0 to 1) whose document is compressed "
                    "before its question, as for a follow-up question; the rest see the question (default: 0)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--multi-turn", opt->multi_turn,
                    "Share of the samples (0 to 1) that are conversations of 2 or 3 questions about the document, "
                    "compressed before the first, with the target from the last answer (default: 0)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--windowed", opt->windowed,
                    "Share of the samples (0 to 1) whose prompt stops inside the document, between a quarter and three "
                    "quarters of the way, then holds the question part, as when a window of a long document has been "
                    "read with the question behind it; the target is where the answer looked among the tokens read so "
                    "far (default: 0)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--prompt-cache", opt->prompt_cache,
                    "Type each prompt's full K/V cache is kept at beside its sample for the trainer: f32, f16, q8_0, or none")
        ->capture_default_str();
    cmd->add_option("--shard", opt->shard,
                    "K/N: make only the samples i with i % N == K, so that N runs (processes or machines) share one "
                    "--out folder without doing the same work")
        ->capture_default_str();
    cmd->add_option("--corpus", opt->corpus, "Training corpus (JSON lines, as scripts/make_training_corpus.py writes; default: "
                    "lookahead/training_corpus.jsonl in the data directory)");
    cmd->callback([opt] { run_make_data(*opt); });
}

}  // namespace glimpse::cli
