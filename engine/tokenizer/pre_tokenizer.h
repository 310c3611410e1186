#pragma once
// Splits text into the words a byte-level BPE vocabulary merges within, using the split
// pattern of the model family named by tokenizer.ggml.pre. Words are views into the input;
// together they cover it exactly, so no byte is lost (invalid UTF-8 included).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

class PreTokenizer {
public:
    // Throws engine::Error for a name it does not know.
    static PreTokenizer for_name(std::string_view pre);

    PreTokenizer(PreTokenizer&&) noexcept;
    PreTokenizer& operator=(PreTokenizer&&) noexcept;
    ~PreTokenizer();

    std::vector<std::string_view> split(std::string_view text) const;

    // The names for_name accepts, for messages and tests.
    static std::vector<std::string> known_names();

private:
    struct Pattern;
    explicit PreTokenizer(std::unique_ptr<Pattern> pattern);
    std::unique_ptr<Pattern> pattern_;
};

}  // namespace engine
