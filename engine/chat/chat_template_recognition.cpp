#include "engine/chat/chat_template_recognition.h"

#include "engine/chat/chat_template.h"
#include "engine/chat/date_text.h"
#include "engine/chat/jinja_source.h"
#include "engine/chat/python_strip.h"
#include "engine/error.h"

#include <optional>

namespace engine::chat_detail {
namespace {

bool has(const std::string& code, std::string_view pattern) { return code.find(pattern) != std::string::npos; }

[[noreturn]] void fail(ChatTemplateFamily family, const std::string& problem) {
    throw Error("chat template looks like the " + std::string(chat_template_family_name(family)) +
                " family, but " + problem + "; Glimpse renders only the forms it can reproduce exactly. "
                "Pass --chat-template " + std::string(chat_template_family_name(family)) +
                " to use the standard " + std::string(chat_template_family_name(family)) + " format. " +
                chat_template_override_hint());
}

void require(const std::string& code, ChatTemplateFamily family, std::string_view pattern, const std::string& what) {
    if (!has(code, pattern)) fail(family, what);
}

// Reads one canonical literal ('...' as quote_literal writes it) at `pos`; returns its text.
std::optional<std::string> read_canonical_literal(const std::string& code, size_t& pos) {
    if (pos >= code.size() || code[pos] != '\'') return std::nullopt;
    std::string out;
    for (size_t i = pos + 1; i < code.size(); ++i) {
        if (code[i] == '\'') {
            pos = i + 1;
            return out;
        }
        if (code[i] == '\\' && i + 1 < code.size()) {
            char e = code[++i];
            out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        } else {
            out += code[i];
        }
    }
    return std::nullopt;
}

// The format of `{%set NAME=strftime_now('FORMAT')%}`, if the template has it.
std::optional<std::string> strftime_assignment(const std::string& code, const std::string& name, ChatTemplateFamily family) {
    std::string head = "{%set" + name + "=strftime_now(";
    size_t pos = code.find(head);
    if (pos == std::string::npos) return std::nullopt;
    pos += head.size();
    auto format = read_canonical_literal(code, pos);
    if (!format || code.compare(pos, 1, ")") != 0) return std::nullopt;
    if (!date_format_supported(*format))
        fail(family, "its date format strftime_now('" + *format + "') has a directive Glimpse does not know");
    return format;
}

// `{%set NAME=` followed by literals and date variables joined by '+', up to `%}`.
std::optional<DatedText> dated_text_assignment(const std::string& code, const std::string& name,
                                               ChatTemplateFamily family) {
    std::string head = "{%set" + name + "=";
    size_t pos = code.find(head);
    if (pos == std::string::npos) return std::nullopt;
    pos += head.size();
    DatedText text;
    while (true) {
        if (auto literal = read_canonical_literal(code, pos)) {
            text.pieces.push_back({false, *literal});
        } else {
            size_t end = code.find_first_of("+%", pos);
            std::string variable = code.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
            auto format = strftime_assignment(code, variable, family);
            if (!format) fail(family, "its " + name + " uses '" + variable + "', which is not a date from strftime_now");
            text.pieces.push_back({true, *format});
            pos = end;
        }
        if (code.compare(pos, 2, "%}") == 0) return text;
        if (code.compare(pos, 1, "+") != 0) fail(family, "its " + name + " is not a plain text expression");
        ++pos;
    }
}

// Qwen3 keeps <think> reasoning only for answers after the last user query.
void recognise_qwen3_reasoning(const std::string& code, ChatTemplateStyle& style) {
    const auto family = style.family;
    const std::string what = "its <think> reasoning handling is not Qwen3's";
    require(code, family, R"(.split('</think>')[-1].lstrip('\n'))", what);
    require(code, family, R"(.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n'))", what);
    require(code, family,
            R"('<|im_start|>'+message['role']+'\n<think>\n'+reasoning_content.strip('\n')+'\n</think>\n\n'+content.lstrip('\n'))", what);
    require(code, family, "{%ifloop.index0>ns.last_query_index%}", what);
    require(code, family, "{%ifloop.lastor(notloop.lastandreasoning_content)%}", what);
    require(code, family, "ns.multi_step_toolandmessage['role']=='user'", what);
    require(code, family, "not(message['content'].startswith('<tool_response>')andmessage['content'].endswith('</tool_response>'))", what);
    require(code, family, "{{'<|im_start|>'+message['role']+'\\n'+content}}", what);
    style.reasoning_blocks = true;
    if (has(code, "enable_thinking")) {
        require(code, family, R"({%ifenable_thinkingisdefinedandenable_thinkingisfalse%}{{'<think>\n\n</think>\n\n'}}{%endif%})",
                "its enable_thinking switch is not Qwen3's");
        style.thinking_switch = true;
    }
}

void recognise_chatml(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    const auto family = style.family;
    if (has(code, R"('<|im_start|>'+message['role']+'\n'+message['content']+'<|im_end|>\n')")) {
        style.trim_content = false;
    } else if (has(code, R"('<|im_start|>'+message['role']+'\n'+message['content']|trim+'<|im_end|>\n')")) {
        style.trim_content = style.trim_system = true;
    } else {
        fail(family, "its turns are not written as '<|im_start|>' + role + '\\n' + content + '<|im_end|>\\n'");
    }
    require(code, family, R"('<|im_start|>assistant\n')", "it has no '<|im_start|>assistant\\n' generation prompt");
    if (has(code, "bos_token")) fail(family, "it writes bos_token, which ChatML templates Glimpse knows do not");
    if (has(code, "<think>")) recognise_qwen3_reasoning(code, style);

    // A default system prompt is a literal "<|im_start|>system\n...<|im_end|>\n" written
    // when the first message is not a system message.
    const std::string open = "<|im_start|>system\n", close = "<|im_end|>\n";
    std::optional<std::string> found;
    for (const std::string& literal : src.literals) {
        if (literal.size() > open.size() + close.size() && literal.starts_with(open) && literal.ends_with(close)) {
            std::string text = literal.substr(open.size(), literal.size() - open.size() - close.size());
            if (found && *found != text) fail(family, "it has more than one default system prompt");
            found = text;
        }
    }
    if (found) {
        if (!has(code, "messages[0]['role']")) fail(family, "its default system prompt does not depend on the first message");
        style.default_system.pieces.push_back({false, *found});
    }
}

void recognise_llama3(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    const auto family = style.family;
    require(code, family,
            R"('<|start_header_id|>'+message['role']+'<|end_header_id|>\n\n'+message['content']|trim+'<|eot_id|>')",
            "its turns are not written as header + trimmed content + '<|eot_id|>'");
    require(code, family, R"('<|start_header_id|>assistant<|end_header_id|>\n\n')", "it has no assistant generation prompt");
    style.trim_content = style.trim_system = true;
    style.writes_bos = has(code, "bos_token");
    for (const std::string& literal : src.literals)
        if (literal.starts_with("Cutting Knowledge Date:")) style.knowledge_cutoff_line = literal;
    if (style.knowledge_cutoff_line.empty()) return;

    // Llama 3.1 and later: the system turn is always written, with cutoff and date lines.
    style.dated_system_turn = true;
    require(code, family, R"('<|start_header_id|>system<|end_header_id|>\n\n')", "it has no system header");
    require(code, family, R"('Today Date: '+date_string+'\n\n')", "its date line is not 'Today Date: ' + date_string");
    style.trim_system = has(code, "messages[0]['content']|trim");
    style.today_line.pieces.push_back({false, "Today Date: "});
    if (auto format = strftime_assignment(code, "date_string", family)) {
        style.today_line.pieces.push_back({true, *format});
    } else {
        size_t pos = code.find("{%setdate_string=");
        std::optional<std::string> fixed;
        if (pos != std::string::npos) {
            pos += std::string_view("{%setdate_string=").size();
            fixed = read_canonical_literal(code, pos);
        }
        if (!fixed) fail(family, "its date_string is neither strftime_now(...) nor a fixed date");
        style.today_line.pieces.push_back({false, *fixed});
    }
    style.today_line.pieces.push_back({false, "\n\n"});
}

// Llama-2-chat: BOS before each [INST], the system message in a <<SYS>> block joined to the
// first user turn, user and assistant text stripped.
void recognise_llama2(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    const auto family = style.family;
    require(code, family, R"({%setcontent='<<SYS>>\n'+system_message+'\n<</SYS>>\n\n'+message['content']%})",
            "its <<SYS>> block is not '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' + content");
    require(code, family, "loop.index0==0andsystem_message!=false", "it puts the <<SYS>> block somewhere other than the first turn");
    require(code, family, "{%setcontent=message['content']%}", "its turns do not use the message content as written");
    require(code, family, "{{bos_token+'[INST] '+content.strip()+' [/INST]'}}", "its user turns are not bos + '[INST] ' + content + ' [/INST]'");
    require(code, family, "{{' '+content.strip()+' '+eos_token}}", "its assistant turns are not ' ' + content + ' ' + eos");
    style.inst_open = "[INST] ";
    style.inst_close = " [/INST]";
    style.bos_each_user_turn = style.writes_bos = true;
    style.system_open = "<<SYS>>\n";
    style.system_close = "\n<</SYS>>\n\n";
    style.trim_user = style.trim_assistant = true;
    style.assistant_prefix = style.assistant_before_eos = " ";
    style.system_placement = SystemPlacement::FirstUserTurn;
    style.roles_must_alternate = has(code, "%2==0");
}

void recognise_mistral(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    auto family = style.family;
    // The spellings published templates use; matched literally (no regex: a template is
    // untrusted input and std::regex recurses per character).
    size_t best = std::string::npos;
    for (std::string_view open : {"[INST] ", " [INST] ", "[INST]"}) {
        for (std::string_view close : {" [/INST]", "[/INST]"}) {
            size_t at = code.find(quote_literal(open) + "+message['content']+" + quote_literal(close));
            if (at < best) {
                best = at;
                style.inst_open = open;
                style.inst_close = close;
            }
        }
    }
    if (best == std::string::npos) fail(family, "its user turns are not '[INST] ' + content + ' [/INST]'");
    style.family = family = style.inst_close.starts_with(" ") ? ChatTemplateFamily::MistralV1 : ChatTemplateFamily::MistralV3;

    // prefix + content [|trim] + eos_token [+ suffix]; the longest form present wins.
    bool found = false;
    for (std::string_view prefix : {" ", ""}) {
        for (bool trim : {true, false}) {
            for (std::string_view suffix : {" ", ""}) {
                std::string form;
                if (!prefix.empty()) form.append(quote_literal(prefix)).append("+");
                form.append("message['content']").append(trim ? "|trim" : "").append("+eos_token");
                if (!suffix.empty()) form.append("+").append(quote_literal(suffix));
                if (found || !has(code, form)) continue;
                found = true;
                style.assistant_prefix = prefix;
                style.trim_assistant = trim;
                style.assistant_suffix = suffix;
            }
        }
    }
    if (!found) fail(family, "its assistant turns are not content + eos_token");

    if (has(code, "system_message")) {
        require(code, family, quote_literal(style.inst_open + "") + "+system_message+'\\n\\n'+message['content']+" +
                                  quote_literal(style.inst_close),
                "its system message is not joined to a user turn as system + '\\n\\n' + content");
        if (has(code, "loop.firstandsystem_messageisdefined")) style.system_placement = SystemPlacement::FirstUserTurn;
        else if (has(code, "loop.lastandsystem_messageisdefined")) style.system_placement = SystemPlacement::LastUserTurn;
        else fail(family, "it puts the system message in a user turn Glimpse cannot tell");
    } else {
        style.system_placement = SystemPlacement::Unsupported;
    }
    style.roles_must_alternate = has(code, "%2==0");
    style.writes_bos = has(code, "bos_token");
    if (style.writes_bos && !code.starts_with("{{bos_token}}") && !has(code, "%}{{bos_token}}{%"))
        fail(family, "it writes bos_token somewhere other than the start");
}

void recognise_mistral_v7(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    const auto family = style.family;
    require(code, family, "'[SYSTEM_PROMPT]'+system_message+'[/SYSTEM_PROMPT]'", "its system turn is not [SYSTEM_PROMPT]...[/SYSTEM_PROMPT]");
    require(code, family, "'[INST]'+message['content']+'[/INST]'", "its user turns are not '[INST]' + content + '[/INST]'");
    require(code, family, "{{message['content']+eos_token}}", "its assistant turns are not content + eos_token");
    style.inst_open = "[INST]";
    style.inst_close = "[/INST]";
    // Mistral Small 3.1 checks alternation over a list it builds with `set` inside a for
    // loop; Jinja scoping keeps that list empty outside the loop, so nothing is checked.
    style.roles_must_alternate = has(code, "%2==0") && !has(code, "{%setfiltered_messages=filtered_messages+[message]%}");
    style.writes_bos = has(code, "bos_token");
    if (auto text = dated_text_assignment(code, "default_system_message", family)) style.default_system = *text;
}

void recognise_gemma(const JinjaSource& src, ChatTemplateStyle& style) {
    const std::string& code = src.code;
    const auto family = style.family;
    require(code, family, R"('<start_of_turn>'+role+'\n')", "its turns do not start with '<start_of_turn>' + role + '\\n'");
    require(code, family, R"('<end_of_turn>\n')", "its turns do not end with '<end_of_turn>\\n'");
    require(code, family, "message['content']|trim", "it does not trim message content");
    require(code, family, "{%setrole='model'%}", "it does not call the assistant 'model'");
    require(code, family, R"('<start_of_turn>model\n')", "it has no '<start_of_turn>model\\n' generation prompt");
    style.trim_content = true;
    if (has(code, "first_user_prefix")) {
        require(code, family, R"(messages[0]['content']+'\n\n')", "its system prefix is not system + '\\n\\n'");
        style.system_placement = SystemPlacement::FirstUserTurn;
        style.system_prefix_outside_trim = true;
    } else {
        style.system_placement = SystemPlacement::Unsupported;
    }
    style.roles_must_alternate = has(code, "%2==0");
    style.writes_bos = has(code, "bos_token");
    if (style.writes_bos && !code.starts_with("{{bos_token}}"))
        fail(family, "it writes bos_token somewhere other than the start");
}

std::string preview(std::string_view text) {
    std::string shown(text.substr(0, 60));
    for (char& c : shown)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return shown + (text.size() > 60 ? "..." : "");
}

}  // namespace

std::string chat_template_override_hint() {
    std::string names;
    for (std::string_view name : ChatTemplate::family_names()) names += (names.empty() ? "" : ", ") + std::string(name);
    return "Known chat template families: " + names + "; pass --chat-template NAME to choose one.";
}

ChatTemplateStyle recognise_chat_template(std::string_view text, std::string_view bos_text, std::string_view eos_text) {
    if (python_strip(text).empty()) throw Error("the chat template is empty. " + chat_template_override_hint());
    ChatTemplateStyle style;
    style.bos_text = bos_text;
    style.eos_text = eos_text;
    if (text.find("<|im_start|>") != std::string_view::npos) style.family = ChatTemplateFamily::ChatML;
    else if (text.find("<|start_header_id|>") != std::string_view::npos) style.family = ChatTemplateFamily::Llama3;
    else if (text.find("[SYSTEM_PROMPT]") != std::string_view::npos) style.family = ChatTemplateFamily::MistralV7;
    else if (text.find("<<SYS>>") != std::string_view::npos) style.family = ChatTemplateFamily::Llama2;
    else if (text.find("[INST]") != std::string_view::npos) style.family = ChatTemplateFamily::MistralV1;
    else if (text.find("<start_of_turn>") != std::string_view::npos) style.family = ChatTemplateFamily::Gemma;
    else throw Error("unrecognised chat template (\"" + preview(text) + "\"): it matches none of the families "
                     "Glimpse renders. " + chat_template_override_hint());

    JinjaSource src;
    try {
        src = scan_jinja_source(text);
    } catch (const Error& e) {
        fail(style.family, std::string("it cannot be read (") + e.what() + ")");
    }
    if (!src.stray_text.empty())
        fail(style.family, "it prints raw text outside its tags (\"" + preview(src.stray_text) + "\")");
    switch (style.family) {
    case ChatTemplateFamily::ChatML: recognise_chatml(src, style); break;
    case ChatTemplateFamily::Llama2: recognise_llama2(src, style); break;
    case ChatTemplateFamily::Llama3: recognise_llama3(src, style); break;
    case ChatTemplateFamily::MistralV1:
    case ChatTemplateFamily::MistralV3: recognise_mistral(src, style); break;
    case ChatTemplateFamily::MistralV7: recognise_mistral_v7(src, style); break;
    case ChatTemplateFamily::Gemma: recognise_gemma(src, style); break;
    }
    style.writes_bos = style.writes_bos && !style.bos_text.empty();
    return style;
}

ChatTemplateStyle standard_chat_style(ChatTemplateFamily family, std::string_view bos_text, std::string_view eos_text) {
    ChatTemplateStyle style;
    style.family = family;
    style.bos_text = bos_text;
    style.eos_text = eos_text;
    switch (family) {
    case ChatTemplateFamily::ChatML:
        break;
    case ChatTemplateFamily::Llama2:      // Llama-2-chat
        style.writes_bos = style.roles_must_alternate = style.bos_each_user_turn = true;
        style.inst_open = "[INST] ";
        style.inst_close = " [/INST]";
        style.system_open = "<<SYS>>\n";
        style.system_close = "\n<</SYS>>\n\n";
        style.trim_user = style.trim_assistant = true;
        style.assistant_prefix = style.assistant_before_eos = " ";
        style.system_placement = SystemPlacement::FirstUserTurn;
        break;
    case ChatTemplateFamily::Llama3:
        style.writes_bos = true;
        style.trim_content = style.trim_system = true;
        break;
    case ChatTemplateFamily::MistralV1:   // Mistral-7B-Instruct v0.1 / v0.2
        style.writes_bos = style.roles_must_alternate = true;
        style.inst_open = "[INST] ";
        style.inst_close = " [/INST]";
        style.system_placement = SystemPlacement::FirstUserTurn;
        break;
    case ChatTemplateFamily::MistralV3:   // Mistral-7B-Instruct v0.3
        style.writes_bos = style.roles_must_alternate = true;
        style.inst_open = "[INST] ";
        style.inst_close = "[/INST]";
        style.assistant_prefix = " ";
        style.trim_assistant = true;
        style.system_placement = SystemPlacement::LastUserTurn;
        break;
    case ChatTemplateFamily::MistralV7:   // Mistral Small 3 and later
        style.writes_bos = style.roles_must_alternate = true;
        style.inst_open = "[INST]";
        style.inst_close = "[/INST]";
        break;
    case ChatTemplateFamily::Gemma:       // as Gemma 3 writes it
        style.writes_bos = style.roles_must_alternate = true;
        style.trim_content = true;
        style.system_placement = SystemPlacement::FirstUserTurn;
        style.system_prefix_outside_trim = true;
        break;
    }
    style.writes_bos = style.writes_bos && !style.bos_text.empty();
    return style;
}

}  // namespace engine::chat_detail
