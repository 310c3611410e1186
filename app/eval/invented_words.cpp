#include "app/eval/task_context.h"

#include <array>

namespace glimpse::eval {


namespace {

constexpr std::array<const char*, 24> kSyllables = {
    "ba", "ren", "to", "mi", "sal", "dor", "ve", "lin", "ka", "mor", "thi", "ul",
    "za", "per", "go", "nel", "ris", "ta", "bru", "fen", "os", "wick", "lam", "dra"};

}  // namespace

std::string invented_word(SeededRandom& random, int syllables) {
    std::string word;
    for (int i = 0; i < syllables; ++i) word += kSyllables[random.below(kSyllables.size())];
    return word;
}

std::vector<std::string> all_invented_words(int syllables) {
    std::vector<std::string> words{""};
    for (int i = 0; i < syllables; ++i) {
        std::vector<std::string> longer;
        longer.reserve(words.size() * kSyllables.size());
        for (const auto& stem : words)
            for (const char* syllable : kSyllables) longer.push_back(stem + syllable);
        words = std::move(longer);
    }
    return words;
}

}  // namespace glimpse::eval
