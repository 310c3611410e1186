#include "cli/model_options.h"

#include "engine/error.h"
#include "engine/eviction/policy_registry.h"

#include <CLI/CLI.hpp>

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
                    "lookahead: the LookaheadKV adapter (default: <model>.lookahead.gguf beside the model, else the "
                    "one shipped for it in resources/lookahead/)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--recent-window", options.recent_window,
                    "lookahead: prompt tokens at the end always kept (default: the adapter's setting)")
        ->check(CLI::Range(0, 1 << 24));
}

ModelChoice model_choice(const ModelOptions& options) {
    ModelChoice choice;
    choice.model = options.model;
    choice.chat_template = options.chat_template;
    choice.threads = options.threads;
    choice.policy = options.policy;
    choice.policy_options.budget = options.budget;
    choice.policy_options.draft_model_path = options.draft_model;
    choice.policy_options.recent_window = options.recent_window;
    choice.adapter = options.adapter;
    choice.adapter_dirs = {GLIMPSE_SOURCE_DIR "/resources/lookahead"};
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

LoadedModel load_model(const ModelOptions& options) { return open_model(model_choice(options)); }

}  // namespace glimpse::cli
