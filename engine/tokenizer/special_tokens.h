#pragma once
// Finds the vocabulary's special and added tokens (types CONTROL and USER_DEFINED) in raw
// text, so they become single ids rather than being spelled out by BPE. At each position
// the longest token that starts there wins (leftmost-longest).

#include "engine/tokenizer/vocabulary.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace engine {

struct TextFragment {
    std::string_view text;  // the raw text, when token < 0
    int32_t token = -1;     // a special token's id
};

class SpecialTokenMatcher {
public:
    explicit SpecialTokenMatcher(const Vocabulary& vocab);

    // Splits `text` into raw-text fragments and special tokens, in order. No fragment is empty.
    std::vector<TextFragment> split(std::string_view text) const;

private:
    struct Entry { std::string_view text; int32_t id; };
    // Candidates by first byte, longest first.
    std::array<std::vector<Entry>, 256> by_first_byte_;
};

}  // namespace engine
