#pragma once
// Opening a model as a person chooses it (command-line options or the desktop app's
// settings map onto ModelChoice): the GGUF file or the default model, its tokenizer and chat
// template, the backend its sessions share, its LookaheadKV adapter and the eviction policy
// to read documents with.

#include "core/loaded_model.h"
#include "engine/eviction/policy_options.h"

#include <filesystem>
#include <string>
#include <vector>

namespace glimpse {

struct ModelChoice {
    std::filesystem::path model;             // empty: the default model
    std::string chat_template;               // empty: the model's own
    int threads = 0;                         // 0: one per hardware thread
    std::string policy;                      // empty: lookahead when the model has an adapter, else snapkv
    engine::PolicyOptions policy_options{.budget = 2048};   // each policy's knobs; a short document stays whole
    std::filesystem::path adapter;           // empty: found beside the model or among adapter_dirs
    std::vector<std::filesystem::path> adapter_dirs;   // shipped adapters (shipped_adapter_dirs())
};

// Where shipped LookaheadKV adapters are: the data directory's lookahead/ (core/data_dir.h).
std::vector<std::filesystem::path> shipped_adapter_dirs();

// The model a command should open: the given path, or the default model. A missing default
// model is an error that tells the user how to fetch it.
std::filesystem::path resolve_model_path(const std::filesystem::path& given);

// The LookaheadKV adapter for a model: choice.adapter, else one made for the model (found by
// its fingerprint, not its file name) beside it or among choice.adapter_dirs. Empty when
// there is none.
std::filesystem::path adapter_path_for(const ModelChoice& choice, const std::filesystem::path& model_path,
                                       uint64_t model_fingerprint);

// Opens and checks everything the choice names; a wrong adapter or policy option fails here,
// before any work. Throws engine::Error.
LoadedModel open_model(const ModelChoice& choice);

}  // namespace glimpse
