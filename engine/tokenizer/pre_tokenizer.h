#pragma once
// Splits text into the words a byte-level BPE vocabulary merges within, using the split
// pattern of the model family named by tokenizer.ggml.pre. The published patterns are
// regular expressions; they are matched here by hand over ICU character classes, which
// gives the same words without a regex engine. Words are views into the input; together
// they cover it exactly, so no byte is lost (invalid UTF-8 included).

#include <string>
#include <string_view>
#include <vector>

namespace engine {

class PreTokenizer {
public:
    // Throws engine::Error for a name it does not know.
    static PreTokenizer for_name(std::string_view pre);

    std::vector<std::string_view> split(std::string_view text) const;

    // The names for_name accepts, for messages and tests.
    static std::vector<std::string> known_names();

    enum class Pattern { Gpt2, Llama3, Qwen2 };

private:
    PreTokenizer(Pattern pattern, bool digits_first) : pattern_(pattern), digits_first_(digits_first) {}
    Pattern pattern_;
    bool digits_first_;  // each \p{N} code point is split off before the pattern runs
};

}  // namespace engine
