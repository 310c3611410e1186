#pragma once
// Turns tokens into text one at a time, as they are generated, emitting only complete
// UTF-8: a multi-byte character split across tokens is held back until it completes, and
// bytes that cannot be valid UTF-8 come out as U+FFFD (one per maximal invalid subpart).
// The concatenated output equals Tokenizer::decode() of all tokens pushed whenever that
// is valid UTF-8.

#include <cstdint>
#include <string>

namespace engine {

class Tokenizer;

class TokenStreamDecoder {
public:
    // The tokenizer must outlive the decoder.
    explicit TokenStreamDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}

    // Throws engine::Error for an id out of range.
    std::string push(int32_t id);
    // Emits whatever is held back (an unfinished character, as U+FFFD) and starts afresh.
    std::string flush();

private:
    const Tokenizer* tokenizer_;
    std::string pending_;     // bytes of an unfinished UTF-8 sequence
    bool at_boundary_ = true;
};

}  // namespace engine
