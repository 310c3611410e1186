#include "engine/chat/chat_template.h"

#include "engine/chat/chat_template_recognition.h"
#include "engine/chat/chat_template_render.h"
#include "engine/chat/date_text.h"
#include "engine/error.h"

#include <algorithm>
#include <array>

namespace engine {
namespace {

constexpr std::array<std::pair<ChatTemplateFamily, std::string_view>, 7> kFamilyNames = {{
    {ChatTemplateFamily::ChatML, "chatml"},
    {ChatTemplateFamily::Llama2, "llama2"},
    {ChatTemplateFamily::Llama3, "llama3"},
    {ChatTemplateFamily::MistralV1, "mistral-v1"},
    {ChatTemplateFamily::MistralV3, "mistral-v3"},
    {ChatTemplateFamily::MistralV7, "mistral-v7"},
    {ChatTemplateFamily::Gemma, "gemma"},
}};

}  // namespace

std::string_view chat_template_family_name(ChatTemplateFamily family) {
    for (const auto& [f, name] : kFamilyNames)
        if (f == family) return name;
    return "unknown";
}

std::vector<std::string_view> ChatTemplate::family_names() {
    std::vector<std::string_view> names;
    for (const auto& entry : kFamilyNames) names.push_back(entry.second);
    return names;
}

ChatTemplate ChatTemplate::from_template_text(std::string_view jinja, std::string_view bos_text,
                                              std::string_view eos_text) {
    return ChatTemplate(chat_detail::recognise_chat_template(jinja, bos_text, eos_text));
}

ChatTemplate ChatTemplate::from_family_name(std::string_view name, std::string_view bos_text,
                                            std::string_view eos_text) {
    for (const auto& [family, known] : kFamilyNames)
        if (known == name) return ChatTemplate(chat_detail::standard_chat_style(family, bos_text, eos_text));
    throw Error("unknown chat template family \"" + std::string(name) + "\". " +
                chat_detail::chat_template_override_hint());
}

std::chrono::year_month_day ChatTemplate::today() const {
    return today_ ? *today_ : chat_detail::local_today();
}

bool ChatTemplate::renders_bos() const {
    if (style_.bos_text.empty()) return false;
    if (style_.writes_bos) return true;
    // What every rendering starts with when the template writes no bos_token.
    std::string_view opening;
    switch (style_.family) {
    case ChatTemplateFamily::ChatML: opening = "<|im_start|>"; break;
    case ChatTemplateFamily::Llama3: opening = "<|start_header_id|>"; break;
    case ChatTemplateFamily::Llama2:
    case ChatTemplateFamily::MistralV1:
    case ChatTemplateFamily::MistralV3: opening = style_.inst_open; break;
    case ChatTemplateFamily::MistralV7: opening = "["; break;
    case ChatTemplateFamily::Gemma: opening = "<start_of_turn>"; break;
    }
    return opening.starts_with(style_.bos_text);
}

std::string ChatTemplate::default_system_prompt() const {
    return chat_detail::render_dated_text(style_.default_system, today());
}

std::string ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt) const {
    return chat_detail::render_chat(style_, messages, add_generation_prompt, {today(), enable_thinking_});
}

std::vector<std::string> ChatTemplate::stop_strings() const {
    std::vector<std::string> stops;
    switch (style_.family) {
    case ChatTemplateFamily::ChatML: stops.push_back("<|im_end|>"); break;
    case ChatTemplateFamily::Llama3: stops.push_back("<|eot_id|>"); break;
    case ChatTemplateFamily::Gemma: stops.push_back("<end_of_turn>"); break;
    default: break;
    }
    if (!style_.eos_text.empty() && std::find(stops.begin(), stops.end(), style_.eos_text) == stops.end())
        stops.push_back(style_.eos_text);
    return stops;
}

}  // namespace engine
