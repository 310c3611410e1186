#pragma once
// Byte-level BPE: a word's bytes start as one token each and the adjacent pair with the
// lowest merge rank is merged (leftmost first on ties) until no pair has a merge.

#include "engine/tokenizer/vocabulary.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace engine {

class BpeMerger {
public:
    // `whole_words_first`: a word that is itself a token is taken whole without merging
    // (Llama 3's tokenizer does this). The vocabulary must outlive the merger.
    BpeMerger(const Vocabulary& vocab, bool whole_words_first);

    // Appends the token ids of one pre-tokenized word (raw bytes). A byte without a token
    // becomes the unknown token if the vocabulary has one of type UNKNOWN, else is left out.
    void encode_word(std::string_view word, std::vector<int32_t>& out) const;

private:
    struct Rank { int32_t rank; int32_t result; };
    static uint64_t pair_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }

    const Vocabulary* vocab_;
    bool whole_words_first_;
    std::array<int32_t, 256> byte_token_;  // -1: the byte has no token
    std::optional<int32_t> unknown_;
    std::unordered_map<uint64_t, Rank> ranks_;
};

}  // namespace engine
