#pragma once
// Writing a conversation in a recognised chat template style.

#include "engine/chat/chat_template.h"

#include <chrono>
#include <span>
#include <string>

namespace engine::chat_detail {

std::string render_chat(const ChatTemplateStyle& style, std::span<const ChatMessage> messages,
                        bool add_generation_prompt, std::chrono::year_month_day today);

}  // namespace engine::chat_detail
