#pragma once
// Writing a conversation in a recognised chat template style.

#include "engine/chat/chat_template.h"

#include <chrono>
#include <optional>
#include <span>
#include <string>

namespace engine::chat_detail {

// What a template may read besides the conversation.
struct RenderContext {
    std::chrono::year_month_day today;
    std::optional<bool> enable_thinking;
};

std::string render_chat(const ChatTemplateStyle& style, std::span<const ChatMessage> messages,
                        bool add_generation_prompt, const RenderContext& context);

}  // namespace engine::chat_detail
