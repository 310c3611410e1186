#pragma once
// Options shared by the commands that run a model, and the model they load.

#include "engine/chat/chat_template.h"
#include "engine/model/model.h"
#include "engine/session/sampling.h"
#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

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
    std::string policy = "full";
    int64_t budget = 256;       // tokens kept per KV head per layer
    std::string draft_model;    // SpecKV's smaller model with the same vocabulary
};

struct LoadedModel {
    std::shared_ptr<const engine::Model> model;
    engine::Tokenizer tokenizer;
    engine::ChatTemplate chat;
};

void add_model_options(CLI::App* cmd, ModelOptions& options);
// --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --seed, --max-tokens.
void add_sampling_options(CLI::App* cmd, engine::SamplingParams& params);

LoadedModel load_model(const ModelOptions& options);

// The session options the model options ask for: threads and the eviction policy. SpecKV
// without --draft-model drafts with the model itself.
engine::SessionOptions session_options(const ModelOptions& options, const std::shared_ptr<const engine::Model>& model);

}  // namespace glimpse::cli
