#include "cli/model_options.h"

#include "cli/model_path.h"
#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/lookahead/lookahead_adapter.h"

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
                    "LookaheadKV adapter, else full):\n" + engine::describe_policies());
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

std::filesystem::path adapter_path_for(const ModelOptions& options, const LoadedModel& loaded) {
    if (!options.adapter.empty()) return options.adapter;
    return engine::find_adapter_for(loaded.path, GLIMPSE_SOURCE_DIR "/resources/lookahead").value_or(std::filesystem::path{});
}

std::string policy_name(const ModelOptions& options, const LoadedModel& loaded) {
    if (!options.policy.empty()) return options.policy;
    return adapter_path_for(options, loaded).empty() ? "full" : "lookahead";
}

engine::PolicyOptions policy_options(const ModelOptions& options, const LoadedModel& loaded, std::string_view policy) {
    engine::PolicyOptions po;
    po.budget = options.budget;
    po.n_layers = loaded.model->config().n_layers;
    po.draft_model_path = options.draft_model;
    if (options.draft_model.empty()) po.draft_model = loaded.model;
    po.recent_window = options.recent_window;
    if (policy == "lookahead" || policy == "lookaheadkv") {
        const auto path = adapter_path_for(options, loaded);
        if (path.empty())
            throw engine::Error("policy lookahead: no LookaheadKV adapter for " + loaded.path.filename().string() +
                                " (looked for " + engine::adapter_file_name(loaded.path) +
                                " beside it and in resources/lookahead/); pass --adapter FILE or choose another --policy");
        po.adapter = std::make_shared<const engine::LookaheadAdapter>(engine::LookaheadAdapter::load(path, *loaded.model));
    }
    return po;
}

std::function<std::shared_ptr<engine::EvictionPolicy>()> policy_factory(const ModelOptions& options,
                                                                        const LoadedModel& loaded) {
    const std::string name = policy_name(options, loaded);
    const engine::PolicyOptions po = policy_options(options, loaded, name);   // loads and checks an adapter once
    engine::make_policy(name, po);                                            // bad options fail before any work
    return [name, po] { return engine::make_policy(name, po); };
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
    auto path = resolve_model_path(options.model);
    auto model = engine::Model::open(path);
    auto tokenizer = engine::Tokenizer::from_gguf(model->file());
    std::optional<std::string> override_name;
    if (!options.chat_template.empty()) override_name = options.chat_template;
    auto chat = engine::ChatTemplate::from_gguf(model->file(), override_name);
    std::shared_ptr<engine::Backend> backend = engine::make_cpu_backend(options.threads);
    return {std::move(path), std::move(model), std::move(backend), std::move(tokenizer), std::move(chat)};
}

}  // namespace glimpse::cli
