#pragma once
// What distinguishes one published chat template from another within a family: the facts
// the renderer needs, read from the template text (or set by a --chat-template override).

#include <string>
#include <vector>

namespace engine {

enum class ChatTemplateFamily { ChatML, Llama2, Llama3, MistralV1, MistralV3, MistralV7, Gemma };

// Text with dates in it, such as Mistral Small's default system prompt ("... The current
// date is " + today + "."): literal pieces, and pieces that print today's date.
struct DatedText {
    struct Piece {
        bool is_date = false;
        std::string text;   // the literal, or the strftime format of the date
    };
    std::vector<Piece> pieces;
    bool empty() const { return pieces.empty(); }
};

// Where a template without a separate system turn puts the system message.
enum class SystemPlacement {
    OwnTurn,        // a turn of its own (ChatML, Llama 3, Mistral v7)
    FirstUserTurn,  // "system\n\nuser" in the first user turn (Mistral v0.2, Gemma 3)
    LastUserTurn,   // "system\n\nuser" in the last user turn, if the last message is a user's (Mistral v0.3)
    Unsupported,    // the template raises; Glimpse merges it into the first user message itself
};

struct ChatTemplateStyle {
    ChatTemplateFamily family = ChatTemplateFamily::ChatML;
    std::string bos_text;
    std::string eos_text;
    bool writes_bos = false;         // the template writes bos_token at the start
    bool roles_must_alternate = false;
    SystemPlacement system_placement = SystemPlacement::OwnTurn;
    bool trim_content = false;       // Python str.strip() on user/assistant content
    bool trim_system = false;        // ... and on the system message
    DatedText default_system;        // used when the conversation has no system message

    // Qwen3: <think> reasoning kept only after the last user query, and an
    // enable_thinking=false switch that writes an empty reasoning block after the prompt.
    bool reasoning_blocks = false;
    bool thinking_switch = false;

    // Llama 3.1+: a system turn is always written, with knowledge-cutoff and date lines.
    bool dated_system_turn = false;
    std::string knowledge_cutoff_line;   // "Cutting Knowledge Date: December 2023\n"
    DatedText today_line;                // "Today Date: " + date + "\n\n"

    // [INST] formats (Llama 2, Mistral).
    std::string inst_open;           // "[INST] ", " [INST] ", "[INST]"
    std::string inst_close;          // " [/INST]", "[/INST]"
    bool bos_each_user_turn = false; // Llama 2 writes BOS before every [INST]
    std::string system_open;         // around the system message joined to a user turn:
    std::string system_close = "\n\n";   // Llama 2 uses "<<SYS>>\n" and "\n<</SYS>>\n\n"
    bool trim_user = false;          // Llama 2 strips the joined user text
    std::string assistant_prefix;    // " " before the answer in some versions
    std::string assistant_before_eos;
    std::string assistant_suffix;    // after eos_text
    bool trim_assistant = false;     // Mistral v0.3 and Llama 2 strip the answer

    // Gemma 3 writes "system\n\n" before the trimmed first user message; Glimpse's merge
    // for templates without a system role trims the joined text, as the template would.
    bool system_prefix_outside_trim = false;
};

}  // namespace engine
