#include "engine/tokenizer/pre_tokenizer.h"

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

#include <unicode/uchar.h>

#include <cstdint>

namespace engine {
namespace {

// The patterns matched below, as published (\s is Unicode White_Space):
//   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
//            | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:  as Llama 3 with \p{N} in place of \p{N}{1,3}.
// A regex takes, at each position, the first alternative that matches; each matcher
// below tries the alternatives in that order and returns the end of the match.

struct Variant {
    const char* name;
    PreTokenizer::Pattern pattern;
    bool digits_first;
};

constexpr Variant kVariants[] = {
    {"default", PreTokenizer::Pattern::Gpt2, false},
    {"gpt2", PreTokenizer::Pattern::Gpt2, false},
    {"llama-bpe", PreTokenizer::Pattern::Llama3, false},
    {"llama3", PreTokenizer::Pattern::Llama3, false},
    {"qwen2", PreTokenizer::Pattern::Qwen2, false},
    {"smollm", PreTokenizer::Pattern::Gpt2, true},  // digits split one by one first
};

enum class CharClass : uint8_t { Letter, Number, Space, Other };

// The text as code points with their classes and byte offsets (one extra offset at the
// end). Invalid UTF-8 reads as U+FFFD for matching but keeps its bytes in the words.
struct CodePoints {
    std::vector<char32_t> cp;
    std::vector<CharClass> cls;
    std::vector<uint32_t> offset;

    explicit CodePoints(std::string_view text) {
        cp.reserve(text.size());
        cls.reserve(text.size());
        offset.reserve(text.size() + 1);
        for (size_t pos = 0; pos < text.size();) {
            const Utf8Step step = utf8_step(text, pos);
            const char32_t c = step.status == Utf8Status::Valid ? step.code_point : 0xFFFD;
            cp.push_back(c);
            cls.push_back(classify(c));
            offset.push_back(static_cast<uint32_t>(pos));
            pos += step.length;
        }
        offset.push_back(static_cast<uint32_t>(text.size()));
    }

    static CharClass classify(char32_t c) {
        const auto u = static_cast<UChar32>(c);
        switch (u_charType(u)) {
            case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
            case U_MODIFIER_LETTER: case U_OTHER_LETTER:
                return CharClass::Letter;
            case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
                return CharClass::Number;
            default:
                return u_isUWhiteSpace(u) ? CharClass::Space : CharClass::Other;
        }
    }
};

// Matching within [.., end): the end is the end of the text for the pattern, so nothing
// past it is seen, not even by a lookahead.
class Matcher {
public:
    Matcher(const CodePoints& t, size_t end) : t_(t), end_(end) {}

    size_t gpt2(size_t i) const {
        if (size_t e = contraction(i, false)) return e;
        const size_t j = i + (is(i, U' ') ? 1 : 0);
        if (has(j, CharClass::Letter)) return run(j, CharClass::Letter);
        if (has(j, CharClass::Number)) return run(j, CharClass::Number);
        if (has(j, CharClass::Other)) return run(j, CharClass::Other);
        return spaces(i);
    }

    size_t llama3(size_t i, size_t max_digits) const {
        if (size_t e = contraction(i, true)) return e;
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (has(i, CharClass::Letter)) return run(i, CharClass::Letter);
        if (i < end_ && !is_newline(i) && t_.cls[i] != CharClass::Number && has(i + 1, CharClass::Letter))
            return run(i + 1, CharClass::Letter);
        // \p{N}{1,max}
        if (has(i, CharClass::Number)) {
            size_t e = i;
            while (e < end_ && e - i < max_digits && t_.cls[e] == CharClass::Number) ++e;
            return e;
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        const size_t j = i + (is(i, U' ') ? 1 : 0);
        if (has(j, CharClass::Other)) {
            size_t e = run(j, CharClass::Other);
            while (e < end_ && is_newline(e)) ++e;
            return e;
        }
        // \s*[\r\n]+ : backtracking leaves the match just after the run's last newline.
        const size_t space_end = run(i, CharClass::Space);
        for (size_t k = space_end; k > i; --k)
            if (is_newline(k - 1)) return k;
        return spaces(i);
    }

private:
    bool has(size_t i, CharClass c) const { return i < end_ && t_.cls[i] == c; }
    bool is(size_t i, char32_t c) const { return i < end_ && t_.cp[i] == c; }
    bool is_newline(size_t i) const { return is(i, U'\r') || is(i, U'\n'); }

    size_t run(size_t i, CharClass c) const {
        while (i < end_ && t_.cls[i] == c) ++i;
        return i;
    }

    // 's|'t|'re|'ve|'m|'ll|'d, optionally ignoring case; 0 when none matches.
    size_t contraction(size_t i, bool ignore_case) const {
        if (!is(i, U'\'')) return 0;
        const auto letter = [&](size_t k, char32_t lower) {
            if (k >= end_) return false;
            const char32_t c = t_.cp[k];
            if (c == lower) return true;
            if (!ignore_case) return false;
            // Case folding: upper case, and the long s and Kelvin sign that fold to s and k.
            return c == lower - 32 || (lower == U's' && c == 0x017F);
        };
        if (letter(i + 1, U's') || letter(i + 1, U't') || letter(i + 1, U'm') || letter(i + 1, U'd')) return i + 2;
        if ((letter(i + 1, U'r') || letter(i + 1, U'v')) && letter(i + 2, U'e')) return i + 3;
        if (letter(i + 1, U'l') && letter(i + 2, U'l')) return i + 3;
        return 0;
    }

    // \s+(?!\S)|\s+ : a run of white space, less its last character when that is followed
    // by something else (so that a following word keeps its leading space).
    size_t spaces(size_t i) const {
        const size_t e = run(i, CharClass::Space);
        if (e == i) return i + 1;  // cannot happen: every class is covered above
        if (e < end_ && e - i > 1) return e - 1;
        return e;
    }

    const CodePoints& t_;
    size_t end_;
};

}  // namespace

std::vector<std::string> PreTokenizer::known_names() {
    std::vector<std::string> names;
    for (const auto& v : kVariants) names.emplace_back(v.name);
    return names;
}

PreTokenizer PreTokenizer::for_name(std::string_view pre) {
    for (const auto& v : kVariants)
        if (pre == v.name) return PreTokenizer(v.pattern, v.digits_first);
    std::string names;
    for (const auto& v : kVariants) names += std::string(names.empty() ? "" : ", ") + v.name;
    throw Error("tokenizer.ggml.pre is \"" + std::string(pre) +
                "\", a pre-tokenizer this engine does not know (known: " + names + ")");
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> words;
    if (text.empty()) return words;
    const CodePoints t(text);
    const auto emit = [&](size_t begin, size_t end) {
        words.emplace_back(text.data() + t.offset[begin], t.offset[end] - t.offset[begin]);
    };
    const auto match_segment = [&](size_t begin, size_t end) {
        const Matcher m(t, end);
        for (size_t i = begin; i < end;) {
            size_t e = 0;
            switch (pattern_) {
                case Pattern::Gpt2: e = m.gpt2(i); break;
                case Pattern::Llama3: e = m.llama3(i, 3); break;
                case Pattern::Qwen2: e = m.llama3(i, 1); break;
            }
            emit(i, e);
            i = e;
        }
    };

    const size_t n = t.cp.size();
    if (!digits_first_) {
        match_segment(0, n);
        return words;
    }
    size_t segment = 0;
    for (size_t i = 0; i < n; ++i) {
        if (t.cls[i] != CharClass::Number) continue;
        match_segment(segment, i);
        emit(i, i + 1);
        segment = i + 1;
    }
    match_segment(segment, n);
    return words;
}

}  // namespace engine
