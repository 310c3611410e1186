#pragma once
// The one rule for which tokens end a turn: the file's EOS, EOT and EOM ids, and the
// end-of-turn tokens of common chat formats where the vocabulary has them. Generation,
// drafting, training targets and the tokenizer all ask this (through Model::ends_turn or
// Tokenizer::is_end_of_generation).

#include <cstdint>
#include <vector>

namespace engine {

class GgufFile;

// Sorted, unique, each within the vocabulary of `vocab_size` tokens.
std::vector<int32_t> end_of_turn_tokens(const GgufFile& file, int64_t vocab_size);

}  // namespace engine
