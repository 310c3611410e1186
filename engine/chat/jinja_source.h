#pragma once
// A lexical view of a Jinja chat template, enough to recognise which published format it
// is without running it: the code inside its tags with whitespace removed and string
// literals in one canonical spelling, the decoded string literals, and any raw text that
// survives Jinja's whitespace control (the template would print it).

#include <string>
#include <string_view>
#include <vector>

namespace engine::chat_detail {

struct JinjaSource {
    // Tags in order, e.g. {{'<|im_start|>'+message['role']+'\n'}}{%ifadd_generation_prompt%}.
    // Literals are single-quoted with \\, \', \n, \r and \t escaped; adjacent literals joined
    // by + are merged; `message.role` and `message.content` are spelled with brackets.
    std::string code;
    std::vector<std::string> literals;   // decoded, after merging, in order of appearance
    std::string stray_text;              // raw text the template prints outside its tags
};

// Throws engine::Error for an unterminated tag or string literal.
JinjaSource scan_jinja_source(std::string_view template_text);

// The canonical spelling of a literal inside JinjaSource::code.
std::string quote_literal(std::string_view decoded);

}  // namespace engine::chat_detail
