#include "app/eval/answer_match.h"

namespace glimpse::eval {

std::string normalise_answer_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

bool answer_found(std::string_view response, std::string_view expected) {
    const std::string needle = normalise_answer_text(expected);
    if (needle.empty()) return false;
    return normalise_answer_text(response).find(needle) != std::string::npos;
}

std::optional<double> answer_score(std::string_view response, const std::vector<std::string>& expected) {
    if (expected.empty()) return std::nullopt;
    const std::string haystack = normalise_answer_text(response);
    size_t found = 0;
    for (const auto& answer : expected) {
        const std::string needle = normalise_answer_text(answer);
        if (!needle.empty() && haystack.find(needle) != std::string::npos) ++found;
    }
    return static_cast<double>(found) / static_cast<double>(expected.size());
}

}  // namespace glimpse::eval
