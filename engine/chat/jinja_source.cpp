#include "engine/chat/jinja_source.h"

#include "engine/error.h"

#include <cstdint>
#include <optional>

namespace engine::chat_detail {
namespace {

enum class TagKind { Expression, Statement, Comment };

struct Token {
    bool is_literal = false;
    std::string text;   // decoded literal, or code with whitespace removed
};

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Jinja decodes string literals with Python's "unicode-escape" codec; this follows it for
// every escape a chat template plausibly uses.
std::string decode_literal(std::string_view body) {
    std::string out;
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '\\' || i + 1 == body.size()) {
            out += c;
            continue;
        }
        char e = body[++i];
        switch (e) {
        case '\n': break;   // a backslash before a line break continues the line
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x': case 'u': case 'U': {
            size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (size_t k = 0; k < digits; ++k) {
                int v = i + 1 + k < body.size() ? hex_value(body[i + 1 + k]) : -1;
                if (v < 0)
                    throw Error("chat template: string literal has a malformed \\" + std::string(1, e) +
                                " escape");
                cp = cp * 16 + uint32_t(v);
            }
            if (cp > 0x10FFFF) throw Error("chat template: string literal escapes a code point past U+10FFFF");
            i += digits;
            append_utf8(out, cp);
            break;
        }
        case 'N':
            throw Error("chat template: \\N{...} escapes in string literals are not supported");
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = uint32_t(e - '0');
                for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
                    cp = cp * 8 + uint32_t(body[++i] - '0');
                append_utf8(out, cp);
            } else {
                out += '\\';   // Python keeps unknown escapes as written
                out += e;
            }
        }
    }
    return out;
}

// Applies trim_blocks / lstrip_blocks and the "-" markers to the raw text between tags.
std::string_view controlled_text(std::string_view text, bool at_template_start, bool strip_after_previous,
                                 bool previous_was_block, std::optional<TagKind> next_kind,
                                 char next_marker) {
    if (strip_after_previous) {
        size_t k = text.find_first_not_of(" \t\r\n\f\v");
        text = k == std::string_view::npos ? std::string_view{} : text.substr(k);
    } else if (previous_was_block) {
        if (text.starts_with("\r\n")) text.remove_prefix(2);
        else if (text.starts_with("\n")) text.remove_prefix(1);
    }
    if (next_kind) {
        if (next_marker == '-') {
            size_t k = text.find_last_not_of(" \t\r\n\f\v");
            text = k == std::string_view::npos ? std::string_view{} : text.substr(0, k + 1);
        } else if (*next_kind != TagKind::Expression && next_marker != '+') {
            size_t line_start = text.find_last_of('\n');
            size_t from = line_start == std::string_view::npos ? (at_template_start ? 0 : text.size())
                                                               : line_start + 1;
            if (from < text.size() && text.substr(from).find_first_not_of(" \t") == std::string_view::npos)
                text = text.substr(0, from);
        }
    }
    return text;
}

void merge_literals(std::vector<Token>& tokens) {
    std::vector<Token> merged;
    for (size_t i = 0; i < tokens.size(); ++i) {
        // 'a' + 'b' is 'ab' unless a filter binds to 'b' first.
        if (tokens[i].is_literal && !merged.empty() && merged.back().is_literal == false &&
            merged.back().text == "+" && merged.size() >= 2 && merged[merged.size() - 2].is_literal &&
            !(i + 1 < tokens.size() && !tokens[i + 1].is_literal && tokens[i + 1].text.starts_with("|"))) {
            merged.pop_back();
            merged.back().text += tokens[i].text;
            continue;
        }
        merged.push_back(tokens[i]);
    }
    tokens = std::move(merged);
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t k = s.find(from); k != std::string::npos; k = s.find(from, k + to.size()))
        s.replace(k, from.size(), to);
}

}  // namespace

std::string quote_literal(std::string_view decoded) {
    std::string out = "'";
    for (char c : decoded) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += c;
        }
    }
    return out + "'";
}

JinjaSource scan_jinja_source(std::string_view template_text) {
    // As Jinja's lexer does: line breaks become "\n" (in literals too), and one trailing
    // line break is dropped (keep_trailing_newline is off).
    std::string normalized;
    normalized.reserve(template_text.size());
    for (size_t k = 0; k < template_text.size(); ++k) {
        if (template_text[k] == '\r') {
            normalized += '\n';
            if (k + 1 < template_text.size() && template_text[k + 1] == '\n') ++k;
        } else {
            normalized += template_text[k];
        }
    }
    if (normalized.ends_with('\n')) normalized.pop_back();
    const std::string_view t = normalized;

    JinjaSource source;
    std::vector<Token> tokens;
    size_t pos = 0;
    bool strip_after_previous = false;
    bool previous_was_block = false;
    while (pos <= t.size()) {
        size_t open = t.find('{', pos);
        while (open != std::string_view::npos &&
               (open + 1 >= t.size() || (t[open + 1] != '{' && t[open + 1] != '%' && t[open + 1] != '#')))
            open = t.find('{', open + 1);
        std::optional<TagKind> kind;
        char marker = 0;
        if (open != std::string_view::npos) {
            kind = t[open + 1] == '{' ? TagKind::Expression : t[open + 1] == '%' ? TagKind::Statement
                                                                                 : TagKind::Comment;
            if (open + 2 < t.size() && (t[open + 2] == '-' || t[open + 2] == '+')) marker = t[open + 2];
        }
        std::string_view raw = t.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos);
        source.stray_text += controlled_text(raw, pos == 0, strip_after_previous, previous_was_block, kind, marker);
        if (!kind) break;

        size_t i = open + 2 + (marker ? 1 : 0);
        std::string_view close = *kind == TagKind::Expression ? "}}" : *kind == TagKind::Statement ? "%}" : "#}";
        if (*kind == TagKind::Comment) {
            size_t end = t.find("#}", i);
            if (end == std::string_view::npos) throw Error("chat template: a {# comment is never closed");
            strip_after_previous = end > i && t[end - 1] == '-';
            previous_was_block = true;
            pos = end + 2;
            continue;
        }
        tokens.push_back({false, *kind == TagKind::Expression ? "{{" : "{%"});
        bool closed = false;
        bool keep_newline = false;   // "+%}" turns trim_blocks off for this tag
        while (i < t.size()) {
            char c = t[i];
            if (c == '\'' || c == '"') {
                size_t j = i + 1;
                while (j < t.size() && t[j] != c) j += t[j] == '\\' ? 2 : 1;
                if (j >= t.size()) throw Error("chat template: a string literal is never closed");
                tokens.push_back({true, decode_literal(t.substr(i + 1, j - i - 1))});
                i = j + 1;
                continue;
            }
            bool strip = c == '-' && t.substr(i + 1).starts_with(close);
            bool plus = c == '+' && *kind == TagKind::Statement && t.substr(i + 1).starts_with(close);
            if (t.substr(i).starts_with(close) || strip || plus) {
                strip_after_previous = strip;
                keep_newline = plus;
                i += close.size() + (strip || plus ? 1 : 0);
                closed = true;
                break;
            }
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++i;
                continue;
            }
            // Split code at '+' so literal concatenations can be merged.
            if (c == '+' || tokens.back().is_literal || tokens.back().text == "+")
                tokens.push_back({false, std::string(1, c)});
            else
                tokens.back().text += c;
            ++i;
        }
        if (!closed) throw Error("chat template: a tag opened with {" + std::string(1, t[open + 1]) + " is never closed");
        tokens.push_back({false, std::string(close)});
        previous_was_block = *kind == TagKind::Statement && !keep_newline;
        pos = i;
    }

    merge_literals(tokens);
    for (const Token& token : tokens) {
        if (token.is_literal) {
            source.literals.push_back(token.text);
            source.code += quote_literal(token.text);
        } else {
            std::string code = token.text;
            source.code += code;
        }
    }
    replace_all(source.code, "message.content", "message['content']");
    replace_all(source.code, "message.role", "message['role']");
    return source;
}

}  // namespace engine::chat_detail
