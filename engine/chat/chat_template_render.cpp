#include "engine/chat/chat_template_render.h"

#include "engine/chat/date_text.h"
#include "engine/chat/python_strip.h"
#include "engine/error.h"

#include <optional>

namespace engine::chat_detail {
namespace {

std::string family_label(const ChatTemplateStyle& style) {
    return "chat template (" + std::string(chat_template_family_name(style.family)) + ")";
}

void check_roles(const ChatTemplateStyle& style, std::span<const ChatMessage> messages) {
    if (messages.empty()) throw Error(family_label(style) + ": the conversation has no messages to render");
    for (size_t i = 0; i < messages.size(); ++i) {
        const std::string& role = messages[i].role;
        if (role != "system" && role != "user" && role != "assistant")
            throw Error(family_label(style) + ": message " + std::to_string(i) + " has role \"" + role +
                        "\"; only system, user and assistant are supported");
    }
}

// For families without free role order: the optional leading system message, and the
// user/assistant turns after it, checked as the templates check them.
struct SplitConversation {
    std::optional<std::string> system;
    std::span<const ChatMessage> turns;
};

SplitConversation split_system(const ChatTemplateStyle& style, std::span<const ChatMessage> messages) {
    SplitConversation split{std::nullopt, messages};
    if (messages.front().role == "system") {
        split.system = messages.front().content;
        split.turns = messages.subspan(1);
    }
    for (size_t i = 0; i < split.turns.size(); ++i) {
        const ChatMessage& m = split.turns[i];
        if (m.role == "system")
            throw Error(family_label(style) + ": a system message is only accepted as the first message");
        if (style.roles_must_alternate && (m.role == "user") != (i % 2 == 0))
            throw Error(family_label(style) + ": after the optional system message, roles must alternate "
                        "user/assistant/user/... (message " + std::to_string(i + (split.system ? 1 : 0)) +
                        " is \"" + m.role + "\")");
    }
    return split;
}

std::string content_of(const ChatTemplateStyle& style, const std::string& content) {
    return style.trim_content ? python_strip(content) : content;
}

std::string_view strip_newlines_left(std::string_view s) {
    while (!s.empty() && s.front() == '\n') s.remove_prefix(1);
    return s;
}

std::string_view strip_newlines_right(std::string_view s) {
    while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    return s;
}

// Qwen3: "<think>reasoning</think>answer" in an assistant message, split as its template
// splits it (answer after the last </think>, reasoning before the first, after the last <think>).
std::string qwen3_assistant_turn(const std::string& text, bool show_reasoning_block, bool is_last) {
    std::string_view content = text, reasoning;
    if (size_t close = content.find("</think>"); close != std::string_view::npos) {
        std::string_view before = strip_newlines_right(content.substr(0, close));
        if (size_t open = before.rfind("<think>"); open != std::string_view::npos) before.remove_prefix(open + 7);
        reasoning = strip_newlines_left(before);
        content = strip_newlines_left(content.substr(content.rfind("</think>") + 8));
    }
    if (show_reasoning_block && (is_last || !reasoning.empty()))
        return "<|im_start|>assistant\n<think>\n" + std::string(strip_newlines_right(strip_newlines_left(reasoning))) +
               "\n</think>\n\n" + std::string(strip_newlines_left(content));
    return "<|im_start|>assistant\n" + std::string(content);
}

bool is_tool_response(const std::string& content) {
    return content.starts_with("<tool_response>") && content.ends_with("</tool_response>");
}

std::string render_chatml(const ChatTemplateStyle& style, std::span<const ChatMessage> messages, bool add_generation_prompt,
                          const RenderContext& context) {
    std::string out;
    if (!style.default_system.empty() && messages.front().role != "system")
        out += "<|im_start|>system\n" + render_dated_text(style.default_system, context.today) + "<|im_end|>\n";
    size_t last_query = messages.size() - 1;
    for (size_t i = messages.size(); i-- > 0;) {
        if (messages[i].role == "user" && !is_tool_response(messages[i].content)) {
            last_query = i;
            break;
        }
    }
    for (size_t i = 0; i < messages.size(); ++i) {
        const ChatMessage& m = messages[i];
        if (style.reasoning_blocks && m.role == "assistant")
            out += qwen3_assistant_turn(m.content, i > last_query, i + 1 == messages.size()) + "<|im_end|>\n";
        else
            out += "<|im_start|>" + m.role + "\n" + content_of(style, m.content) + "<|im_end|>\n";
    }
    if (add_generation_prompt) {
        out += "<|im_start|>assistant\n";
        if (style.thinking_switch && context.enable_thinking == false) out += "<think>\n\n</think>\n\n";
    }
    return out;
}

std::string render_llama3(const ChatTemplateStyle& style, std::span<const ChatMessage> messages, bool add_generation_prompt,
                          std::chrono::year_month_day today) {
    std::string out = style.writes_bos ? style.bos_text : "";
    if (style.dated_system_turn) {
        std::string system;
        if (messages.front().role == "system") {
            system = style.trim_system ? python_strip(messages.front().content) : messages.front().content;
            messages = messages.subspan(1);
        }
        out += "<|start_header_id|>system<|end_header_id|>\n\n" + style.knowledge_cutoff_line +
               render_dated_text(style.today_line, today) + system + "<|eot_id|>";
    }
    for (const ChatMessage& m : messages)
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + python_strip(m.content) + "<|eot_id|>";
    if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
    return out;
}

std::string render_mistral(const ChatTemplateStyle& style, std::span<const ChatMessage> messages,
                           std::chrono::year_month_day today) {
    const SplitConversation split = split_system(style, messages);
    std::string out = style.writes_bos && !style.bos_each_user_turn ? style.bos_text : "";
    if (style.family == ChatTemplateFamily::MistralV7) {
        if (split.system) out += "[SYSTEM_PROMPT]" + *split.system + "[/SYSTEM_PROMPT]";
        else if (!style.default_system.empty())
            out += "[SYSTEM_PROMPT]" + render_dated_text(style.default_system, today) + "[/SYSTEM_PROMPT]";
    }
    for (size_t i = 0; i < split.turns.size(); ++i) {
        const ChatMessage& m = split.turns[i];
        if (m.role == "user") {
            const bool first = i == 0, last = i + 1 == split.turns.size();
            const bool with_system = split.system && ((style.system_placement == SystemPlacement::FirstUserTurn && first) ||
                                                      (style.system_placement == SystemPlacement::Unsupported && first) ||
                                                      (style.system_placement == SystemPlacement::LastUserTurn && last));
            std::string text = with_system ? style.system_open + *split.system + style.system_close + m.content : m.content;
            if (style.bos_each_user_turn) out += style.bos_text;
            out += style.inst_open + (style.trim_user ? python_strip(text) : text) + style.inst_close;
        } else {
            out += style.assistant_prefix + (style.trim_assistant ? python_strip(m.content) : m.content) +
                   style.assistant_before_eos + style.eos_text + style.assistant_suffix;
        }
    }
    return out;
}

std::string render_gemma(const ChatTemplateStyle& style, std::span<const ChatMessage> messages, bool add_generation_prompt) {
    const SplitConversation split = split_system(style, messages);
    std::string out = style.writes_bos ? style.bos_text : "";
    for (size_t i = 0; i < split.turns.size(); ++i) {
        const ChatMessage& m = split.turns[i];
        std::string content;
        if (i == 0 && split.system) {
            content = style.system_prefix_outside_trim ? *split.system + "\n\n" + python_strip(m.content)
                                                       : python_strip(*split.system + "\n\n" + m.content);
        } else {
            content = python_strip(m.content);
        }
        out += "<start_of_turn>" + std::string(m.role == "assistant" ? "model" : "user") + "\n" + content + "<end_of_turn>\n";
    }
    if (add_generation_prompt) out += "<start_of_turn>model\n";
    return out;
}

}  // namespace

std::string render_chat(const ChatTemplateStyle& style, std::span<const ChatMessage> messages, bool add_generation_prompt,
                        const RenderContext& context) {
    const auto today = context.today;
    check_roles(style, messages);
    switch (style.family) {
    case ChatTemplateFamily::ChatML: return render_chatml(style, messages, add_generation_prompt, context);
    case ChatTemplateFamily::Llama3: return render_llama3(style, messages, add_generation_prompt, today);
    case ChatTemplateFamily::Llama2:
    case ChatTemplateFamily::MistralV1:
    case ChatTemplateFamily::MistralV3:
    case ChatTemplateFamily::MistralV7: return render_mistral(style, messages, today);
    case ChatTemplateFamily::Gemma: return render_gemma(style, messages, add_generation_prompt);
    }
    throw Error(family_label(style) + ": unknown family");
}

}  // namespace engine::chat_detail
