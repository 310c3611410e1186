#pragma once
// UTF-8 decoding step by step, strict per Unicode (no overlongs, surrogates or values past
// U+10FFFF). Invalid input is reported with the length of its maximal subpart, so callers
// can replace it by one U+FFFD each, as the Unicode standard recommends.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace engine {

enum class Utf8Status { Valid, Invalid, Incomplete };

struct Utf8Step {
    Utf8Status status = Utf8Status::Invalid;
    size_t length = 1;        // bytes consumed: the sequence, or the invalid maximal subpart
    char32_t code_point = 0;  // for Valid only
};

// Decodes the sequence starting at `pos` (< text.size()). Incomplete means the bytes up to
// the end of `text` are a valid start of a longer sequence.
Utf8Step utf8_step(std::string_view text, size_t pos);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

void append_utf8(std::string& out, char32_t code_point);

}  // namespace engine
