#include "cli/model_options.h"

#include "cli/model_path.h"
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
    cmd->add_option("--policy", options.policy, "KV eviction policy while the prompt is read:\n" + engine::describe_policies())
        ->default_val("full");
    cmd->add_option("--budget", options.budget, "KV tokens kept per KV head per layer")
        ->default_val(256)->check(CLI::Range(1, 1 << 24));
    cmd->add_option("--draft-model", options.draft_model,
                    "speckv: a smaller GGUF model with the same vocabulary that drafts the pseudo-answer")
        ->check(CLI::ExistingFile);
}

engine::SessionOptions session_options(const ModelOptions& options, const std::shared_ptr<const engine::Model>& model) {
    engine::PolicyOptions policy;
    policy.budget = options.budget;
    policy.n_layers = model->config().n_layers;
    policy.draft_model_path = options.draft_model;
    if (options.draft_model.empty()) policy.draft_model = model;
    return {.threads = options.threads, .policy = engine::make_policy(options.policy, policy)};
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

LoadedModel load_model(const ModelOptions& options) {
    auto model = engine::Model::open(resolve_model_path(options.model));
    auto tokenizer = engine::Tokenizer::from_gguf(model->file());
    std::optional<std::string> override_name;
    if (!options.chat_template.empty()) override_name = options.chat_template;
    auto chat = engine::ChatTemplate::from_gguf(model->file(), override_name);
    return {std::move(model), std::move(tokenizer), std::move(chat)};
}

}  // namespace glimpse::cli
