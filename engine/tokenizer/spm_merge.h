#pragma once
// SentencePiece-style BPE (Llama 2, Mistral): the text's characters are merged pairwise,
// highest token score first (leftmost on ties), as long as the merged piece is a token.
// Characters left without a token fall back to their bytes' <0xXX> tokens, or to the
// unknown token.

#include "engine/tokenizer/vocabulary.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

class SpmMerger {
public:
    explicit SpmMerger(const Vocabulary& vocab);  // the vocabulary must outlive the merger

    // Appends the ids of `text`, whose spaces must already be written as U+2581 (▁).
    void encode(std::string_view text, std::vector<int32_t>& out) const;

private:
    std::optional<int32_t> piece_id(std::string_view piece) const;

    const Vocabulary* vocab_;
    std::array<int32_t, 256> byte_token_;  // the <0xXX> tokens; -1 when missing
};

// Writes spaces as U+2581, the way SentencePiece vocabularies spell them.
std::string escape_spm_spaces(std::string_view text);

}  // namespace engine
