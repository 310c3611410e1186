#pragma once
// Options shared by the commands that run a model, and the model they load.

#include "engine/chat/chat_template.h"
#include "engine/eviction/policy_options.h"
#include "engine/model/model.h"
#include "engine/session/sampling.h"
#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace glimpse::cli {

struct ModelOptions {
    std::string model;          // empty: the default model
    std::string chat_template;  // empty: the model's own
    int threads = 0;            // 0: one per hardware thread
    std::string policy;         // empty: lookahead when the model has an adapter, else full
    int64_t budget = 2048;      // tokens kept per KV head per layer: short documents stay whole
    std::string draft_model;    // SpecKV's smaller model with the same vocabulary
    std::string adapter;        // LookaheadKV adapter; empty: the one found for the model
    int64_t recent_window = -1; // LookaheadKV: last prompt tokens always kept (-1: the adapter's)
    // The other policies' knobs, with engine::PolicyOptions' defaults (the papers').
    int64_t window = engine::PolicyOptions{}.window;             // SnapKV family: observation window
    int64_t pool_kernel = engine::PolicyOptions{}.pool_kernel;   // SnapKV family: max-pool kernel (odd)
    int64_t sinks = engine::PolicyOptions{}.sinks;               // StreamingLLM: attention sinks
    double pyramid_beta = engine::PolicyOptions{}.pyramid_beta;  // PyramidKV
    int64_t draft_tokens = engine::PolicyOptions{}.draft_tokens; // LAQ / SpecKV: pseudo-answer length
};

struct LoadedModel {
    std::filesystem::path path;
    std::shared_ptr<const engine::Model> model;
    engine::Tokenizer tokenizer;
    engine::ChatTemplate chat;
};

void add_model_options(CLI::App* cmd, ModelOptions& options);
// --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --seed, --max-tokens.
void add_sampling_options(CLI::App* cmd, engine::SamplingParams& params);

LoadedModel load_model(const ModelOptions& options);

// The LookaheadKV adapter for the loaded model: --adapter, else one made for the model (by
// its fingerprint) beside it or in the data directory's lookahead/ folder (see
// engine::find_adapter_for). Empty when there is none.
std::filesystem::path adapter_path_for(const ModelOptions& options, const LoadedModel& loaded);

// The policy to run: --policy, or by default lookahead when an adapter exists, else full.
std::string policy_name(const ModelOptions& options, const LoadedModel& loaded);

// The options every policy is made with. A lookahead adapter is loaded and checked against
// the model here, so a wrong file fails before any work.
engine::PolicyOptions policy_options(const ModelOptions& options, const LoadedModel& loaded, std::string_view policy);

// The session options the model options ask for: threads and the eviction policy. SpecKV
// without --draft-model drafts with the model itself.
engine::SessionOptions session_options(const ModelOptions& options, const LoadedModel& loaded);

}  // namespace glimpse::cli
