#include "cli/model_options.h"

#include "core/data_dir.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <string>

namespace glimpse::cli {

void add_model_options(CLI::App* cmd, ModelOptions& options) {
    cmd->add_option("--model,-m", options.model, "GGUF model file (default: the default model, see scripts/fetch-model)");
    cmd->add_option("--chat-template", options.chat_template,
                    "Chat template family to use instead of the model's own: chatml, llama2, llama3, "
                    "mistral-v1, mistral-v3, mistral-v7, gemma");
    cmd->add_option("--threads,-t", options.threads, "CPU threads (default: one per hardware thread)")
        ->check(CLI::Range(0, 1024));
    cmd->add_option("--policy", options.policy,
                    "KV eviction policy while the prompt is read (default: lookahead when the model has a "
                    "LookaheadKV adapter, else snapkv):\n" + engine::describe_policies());
    cmd->add_option("--budget", options.budget, "KV tokens kept per KV head per layer (a shorter prompt stays whole)")
        ->default_val(2048)->check(CLI::Range(1, 1 << 24));
    cmd->add_option("--draft-model", options.draft_model,
                    "speckv: a smaller GGUF model with the same vocabulary that drafts the pseudo-answer")
        ->check(CLI::ExistingFile);
    cmd->add_option("--adapter", options.adapter,
                    "lookahead: the LookaheadKV adapter (default: the *.lookahead.gguf made for the model, found by "
                    "its fingerprint beside the model, else in the data directory's lookahead/ folder; "
                    "$GLIMPSE_DATA_DIR sets that directory)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--recent-window", options.recent_window,
                    "lookahead: prompt tokens at the end always kept (default: the adapter's setting)")
        ->check(CLI::Range(0, 1 << 24));
    cmd->add_option("--read-window", options.read_window,
                    "Read the prompt in windows of N tokens, each evicted back to the budget (default: only a "
                    "prompt past the model's context window, in the largest windows that fit)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
    cmd->add_option("--kv-type", options.kv_type,
                    "What the KV cache keeps: f32, f16 (half the memory) or q8_0 (about a quarter); a resumed "
                    "session keeps the type it was saved with")
        ->default_val(options.kv_type)->check(CLI::IsMember({"f32", "f16", "q8_0"}));
    cmd->add_option("--window", options.window,
                    "snapkv, pyramidkv, laq, speckv: the observation window, the last prompt tokens used as queries")
        ->default_val(options.window)->check(CLI::Range(1, 1 << 24));
    cmd->add_option("--pool-kernel", options.pool_kernel,
                    "snapkv, pyramidkv, laq, speckv: max-pooling kernel over the scores along the sequence (odd)")
        ->default_val(options.pool_kernel)
        ->check(CLI::Validator(
            [](std::string& value) -> std::string {
                long long k = 0;
                const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), k);
                const bool ok = error == std::errc() && end == value.data() + value.size();
                return (ok && k >= 1 && k <= 1023 && k % 2 == 1) ? "" : "must be an odd number from 1 to 1023";
            },
            "ODD in [1 - 1023]"));
    cmd->add_option("--sinks", options.sinks, "streaming: first prompt tokens always kept (attention sinks)")
        ->default_val(options.sinks)->check(CLI::Range(0, 1 << 24));
    cmd->add_option("--pyramid-beta", options.pyramid_beta,
                    "pyramidkv: the top layer keeps 1/beta of the mean extra budget beyond the window")
        ->default_val(options.pyramid_beta)->check(CLI::Range(1.0, 1e6));
    cmd->add_option("--draft-tokens", options.draft_tokens,
                    "laq, speckv: pseudo-answer tokens drafted to score the prompt (default: laq 8, speckv as many as "
                    "the answer may have)")
        ->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--draft-reduction", options.draft_reduction,
                    "laq, speckv: how each prompt token's attention from the draft and window queries becomes one "
                    "score, max or mean over the queries (default: laq mean, speckv max)")
        ->check(CLI::IsMember({"max", "mean"}));
    cmd->add_option("--laq-stage2-window", options.laq_stage2_window,
                    "laq: last prompt queries that join the draft's when it re-selects, and are kept (0: the draft's "
                    "alone, as LAQ; 8: LAQ++)")
        ->default_val(options.laq_stage2_window)->check(CLI::Range(0, 1 << 24));
}

ModelChoice model_choice(const ModelOptions& options, int64_t answer_tokens) {
    ModelChoice choice;
    choice.model = options.model;
    choice.chat_template = options.chat_template;
    choice.threads = options.threads;
    choice.policy = options.policy;
    choice.policy_options.budget = options.budget;
    choice.policy_options.draft_model_path = options.draft_model;
    choice.policy_options.recent_window = options.recent_window;
    choice.policy_options.window = options.window;
    choice.policy_options.pool_kernel = options.pool_kernel;
    choice.policy_options.sinks = options.sinks;
    choice.policy_options.pyramid_beta = options.pyramid_beta;
    choice.policy_options.draft_tokens = options.draft_tokens;
    choice.policy_options.answer_tokens = answer_tokens;
    if (!options.draft_reduction.empty())
        choice.policy_options.draft_reduction =
            options.draft_reduction == "max" ? engine::ScoreReduction::Max : engine::ScoreReduction::Mean;
    choice.policy_options.laq_stage2_window = options.laq_stage2_window;
    choice.adapter = options.adapter;
    choice.adapter_dirs = glimpse::shipped_adapter_dirs();
    return choice;
}

void add_sampling_options(CLI::App* cmd, engine::SamplingParams& params) {
    cmd->add_option("--max-tokens,-n", params.max_new_tokens, "Most tokens to generate")
        ->default_val(256)->check(CLI::Range(1, 1 << 20));
    cmd->add_option("--temperature", params.temperature, "Sampling temperature; 0 is greedy")
        ->default_val(0.0f)->check(CLI::Range(0.0, 100.0));
    cmd->add_option("--top-k", params.top_k, "Keep the k most likely tokens (0: off)")->check(CLI::NonNegativeNumber);
    cmd->add_option("--top-p", params.top_p, "Keep the smallest set holding this much probability (1: off)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--min-p", params.min_p, "Drop tokens less likely than min-p times the most likely one (0: off)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--repeat-penalty", params.repetition_penalty,
                    "Penalty for tokens among the last 64 (1: off)")->check(CLI::Range(0.0, 10.0));
    cmd->add_option("--seed", params.seed, "Random seed for sampling");
}

LoadedModel load_model(const ModelOptions& options, int64_t answer_tokens) {
    return open_model(model_choice(options, answer_tokens));
}

}  // namespace glimpse::cli
