#pragma once
// Chat templates: turning a conversation into the exact prompt text a model was trained on.
//
// Models ship their template as Jinja source (GGUF key `tokenizer.chat_template`). Glimpse
// does not run Jinja; it recognises the published families and renders them natively,
// byte for byte as Hugging Face transformers would (tests/engine/data/chat_template_vectors.json
// holds the proof). A template it cannot reproduce exactly is an error naming the families
// and the `--chat-template NAME` override, never a silent guess.

#include "engine/chat/chat_template_style.h"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

class GgufFile;

struct ChatMessage {
    std::string role;      // "system", "user" or "assistant"
    std::string content;
};

std::string_view chat_template_family_name(ChatTemplateFamily family);

class ChatTemplate {
public:
    // Recognises a Jinja chat template. bos_text / eos_text are the texts of the model's
    // BOS and EOS tokens (the template's bos_token / eos_token). Throws engine::Error.
    static ChatTemplate from_template_text(std::string_view jinja, std::string_view bos_text,
                                           std::string_view eos_text);
    // The standard format of a family, by name ("chatml", "llama3", ...): the
    // --chat-template override. Throws engine::Error for an unknown name.
    static ChatTemplate from_family_name(std::string_view name, std::string_view bos_text,
                                         std::string_view eos_text);
    // From a model file: the family named by `override_name` if given, else the file's
    // tokenizer.chat_template (an error if it has none). BOS/EOS texts come from its vocabulary.
    static ChatTemplate from_gguf(const GgufFile& file, const std::optional<std::string>& override_name = std::nullopt);

    static std::vector<std::string_view> family_names();

    ChatTemplateFamily family() const { return style_.family; }
    std::string_view family_name() const { return chat_template_family_name(style_.family); }
    // True when rendered text starts with the BOS token's text (written as bos_token, or
    // because the first turn marker is that token, as ChatML's <|im_start|> is in SmolLM2),
    // so the tokenizer must not add another BOS.
    bool renders_bos() const;
    // The system prompt the template supplies when the conversation has none ("" if none).
    std::string default_system_prompt() const;

    // The day templates that print today's date use; the local date when not set.
    void set_today(std::chrono::year_month_day day) { today_ = day; }
    // The enable_thinking variable of templates with a thinking switch (Qwen3); unset
    // leaves it undefined, as a plain apply_chat_template call does.
    void set_enable_thinking(std::optional<bool> enabled) { enable_thinking_ = enabled; }

    // Throws engine::Error for an empty conversation, a role other than system/user/assistant,
    // or an order of roles the template rejects (most non-ChatML templates need
    // user/assistant alternation after an optional leading system message).
    std::string render(std::span<const ChatMessage> messages, bool add_generation_prompt) const;

    // Texts that end the assistant's turn, e.g. "<|im_end|>", "<|eot_id|>".
    std::vector<std::string> stop_strings() const;

    const ChatTemplateStyle& style() const { return style_; }

private:
    explicit ChatTemplate(ChatTemplateStyle style) : style_(std::move(style)) {}
    std::chrono::year_month_day today() const;

    ChatTemplateStyle style_;
    std::optional<std::chrono::year_month_day> today_;
    std::optional<bool> enable_thinking_;
};

}  // namespace engine
