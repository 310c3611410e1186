#pragma once
// A model opened for answering: the weights, the backend its sessions share (one thread
// pool), its tokenizer and chat template, and the eviction policy documents are read with.

#include "engine/backend.h"
#include "engine/chat/chat_template.h"
#include "engine/eviction/eviction_policy.h"
#include "engine/eviction/policy_options.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <memory>
#include <string>

namespace glimpse {

struct LoadedModel {
    std::filesystem::path path;
    std::shared_ptr<const engine::Model> model;
    std::shared_ptr<engine::Backend> backend;
    engine::Tokenizer tokenizer;
    engine::ChatTemplate chat;
    std::string policy = "full";             // eviction policy name (engine/eviction/policy_registry.h)
    engine::PolicyOptions policy_options{};  // its options, adapter loaded and checked
    std::filesystem::path adapter_path{};    // the LookaheadKV adapter in use; empty without one

    int64_t context_length() const { return model->config().context_length; }
    // A fresh policy for each session (policies keep state between layers).
    std::shared_ptr<engine::EvictionPolicy> make_policy() const;
};

}  // namespace glimpse
