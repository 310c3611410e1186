#pragma once
// A model opened for answering: the weights, the backend its sessions share (one thread
// pool), its tokenizer and chat template.

#include "engine/backend.h"
#include "engine/chat/chat_template.h"
#include "engine/model/model.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <memory>

namespace glimpse {

struct LoadedModel {
    std::filesystem::path path;
    std::shared_ptr<const engine::Model> model;
    std::shared_ptr<engine::Backend> backend;
    engine::Tokenizer tokenizer;
    engine::ChatTemplate chat;

    int64_t context_length() const { return model->config().context_length; }
};

}  // namespace glimpse
