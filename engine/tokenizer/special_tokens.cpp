#include "engine/tokenizer/special_tokens.h"

#include <algorithm>

namespace engine {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocabulary& vocab) {
    for (int32_t id = 0; id < vocab.size(); ++id) {
        const TokenType t = vocab.types[id];
        const std::string& text = vocab.tokens[id];
        if ((t == TokenType::Control || t == TokenType::UserDefined) && !text.empty())
            by_first_byte_[static_cast<unsigned char>(text[0])].push_back({text, id});
    }
    for (auto& entries : by_first_byte_)
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.text.size() > b.text.size(); });
}

std::vector<TextFragment> SpecialTokenMatcher::split(std::string_view text) const {
    std::vector<TextFragment> fragments;
    size_t raw_begin = 0;
    for (size_t pos = 0; pos < text.size();) {
        const Entry* match = nullptr;
        for (const Entry& e : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
            if (text.compare(pos, e.text.size(), e.text) == 0) {
                match = &e;
                break;
            }
        }
        if (!match) {
            ++pos;
            continue;
        }
        if (pos > raw_begin) fragments.push_back({text.substr(raw_begin, pos - raw_begin), -1});
        fragments.push_back({match->text, match->id});
        pos += match->text.size();
        raw_begin = pos;
    }
    if (raw_begin < text.size()) fragments.push_back({text.substr(raw_begin), -1});
    return fragments;
}

}  // namespace engine
