#include "engine/tokenizer/pre_tokenizer.h"

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cstdint>

namespace engine {
namespace {

// The published split patterns. ICU's \s lacks U+000B and U+0085, which the reference
// implementations count as white space, so \p{White_Space} is written out instead.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
    R"(| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

struct Variant {
    const char* name;
    const char* pattern;
    bool digits_first;  // each \p{N} code point is split off before the pattern runs
};

constexpr Variant kVariants[] = {
    {"default", kGpt2Pattern, false},
    {"gpt2", kGpt2Pattern, false},
    {"llama-bpe", kLlama3Pattern, false},
    {"llama3", kLlama3Pattern, false},
    {"qwen2", kQwen2Pattern, false},
    {"smollm", kGpt2Pattern, true},
};

bool is_number(UChar32 cp) {
    const int8_t type = u_charType(cp);
    return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

// The text as UTF-16 for ICU, with the byte offset of every unit (and one past the end).
// Invalid UTF-8 becomes U+FFFD for matching but keeps its bytes in the words.
struct Utf16Text {
    std::u16string units;
    std::vector<uint32_t> byte_offset;
    std::vector<bool> number;  // per unit: part of a \p{N} code point

    explicit Utf16Text(std::string_view text) {
        units.reserve(text.size());
        byte_offset.reserve(text.size() + 1);
        number.reserve(text.size());
        for (size_t pos = 0; pos < text.size();) {
            const Utf8Step step = utf8_step(text, pos);
            const UChar32 cp = step.status == Utf8Status::Valid ? static_cast<UChar32>(step.code_point) : 0xFFFD;
            const bool num = is_number(cp);
            if (cp >= 0x10000) {
                units.push_back(static_cast<char16_t>(U16_LEAD(cp)));
                units.push_back(static_cast<char16_t>(U16_TRAIL(cp)));
                byte_offset.insert(byte_offset.end(), 2, static_cast<uint32_t>(pos));
                number.insert(number.end(), 2, num);
            } else {
                units.push_back(static_cast<char16_t>(cp));
                byte_offset.push_back(static_cast<uint32_t>(pos));
                number.push_back(num);
            }
            pos += step.length;
        }
        byte_offset.push_back(static_cast<uint32_t>(text.size()));
    }
};

}  // namespace

struct PreTokenizer::Pattern {
    std::unique_ptr<icu::RegexPattern> regex;
    bool digits_first = false;
};

PreTokenizer::PreTokenizer(std::unique_ptr<Pattern> pattern) : pattern_(std::move(pattern)) {}
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;
PreTokenizer::~PreTokenizer() = default;

std::vector<std::string> PreTokenizer::known_names() {
    std::vector<std::string> names;
    for (const auto& v : kVariants) names.emplace_back(v.name);
    return names;
}

PreTokenizer PreTokenizer::for_name(std::string_view pre) {
    for (const auto& v : kVariants) {
        if (pre != v.name) continue;
        UErrorCode status = U_ZERO_ERROR;
        UParseError parse_error{};
        auto pattern = std::make_unique<Pattern>();
        pattern->regex.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(v.pattern), 0,
                                                        parse_error, status));
        if (U_FAILURE(status))
            throw Error("tokenizer: the split pattern for pre-tokenizer \"" + std::string(pre) +
                        "\" does not compile in ICU: " + u_errorName(status));
        pattern->digits_first = v.digits_first;
        return PreTokenizer(std::move(pattern));
    }
    std::string names;
    for (const auto& v : kVariants) names += std::string(names.empty() ? "" : ", ") + v.name;
    throw Error("tokenizer.ggml.pre is \"" + std::string(pre) +
                "\", a pre-tokenizer this engine does not know (known: " + names + ")");
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    std::vector<std::string_view> words;
    if (text.empty()) return words;
    const Utf16Text u(text);
    const auto length = static_cast<int32_t>(u.units.size());
    const icu::UnicodeString input(false, u.units.data(), length);  // read-only alias

    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> matcher(pattern_->regex->matcher(input, status));
    if (U_FAILURE(status)) throw Error(std::string("tokenizer: ICU regex matcher failed: ") + u_errorName(status));

    const auto emit = [&](int32_t begin, int32_t end) {
        if (begin >= end) return;
        const uint32_t b = u.byte_offset[begin], e = u.byte_offset[end];
        words.emplace_back(text.data() + b, e - b);
    };
    // Runs the pattern over [begin, end) as if that were the whole text: the region's
    // bounds are opaque, so a lookahead does not see past it.
    const auto match_region = [&](int32_t begin, int32_t end) {
        if (begin >= end) return;
        matcher->region(begin, end, status);
        int32_t last = begin;
        while (matcher->find(status) && U_SUCCESS(status)) {
            const int32_t s = matcher->start(status), e = matcher->end(status);
            if (e <= s) break;  // the patterns never match empty; stop rather than spin
            emit(last, s);  // text no alternative matched is kept as its own word
            emit(s, e);
            last = e;
        }
        if (U_FAILURE(status)) throw Error(std::string("tokenizer: ICU regex failed: ") + u_errorName(status));
        emit(last, end);
    };

    if (!pattern_->digits_first) {
        match_region(0, length);
        return words;
    }
    int32_t run = 0;
    for (int32_t i = 0; i < length;) {
        const int32_t width = U16_IS_LEAD(u.units[i]) && i + 1 < length ? 2 : 1;
        if (u.number[i]) {
            match_region(run, i);
            emit(i, i + width);
            run = i + width;
        }
        i += width;
    }
    match_region(run, length);
    return words;
}

}  // namespace engine
