#pragma once
// The tokenizer's vocabulary as stored in GGUF metadata (tokenizer.ggml.*), loaded and
// validated: every array has the right element type and length, every id is in range and
// every merge names tokens that exist. Problems are engine::Errors naming the key.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace engine {

class GgufFile;

// GGUF token types (the SentencePiece piece types).
enum class TokenType : int32_t {
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

// Lets the token map be searched with a string_view, without building a string.
struct TokenTextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

enum class VocabularyModel { BytePairGpt2, SentencePiece };

struct Vocabulary {
    VocabularyModel model = VocabularyModel::BytePairGpt2;
    std::string model_name;    // tokenizer.ggml.model as written: "gpt2" or "llama"
    std::string pre = "default";  // tokenizer.ggml.pre (byte-level vocabularies)
    std::vector<std::string> tokens;
    std::vector<TokenType> types;
    std::vector<float> scores;   // empty when the file has none
    // Merges as token id pairs, in rank order (byte-level vocabularies).
    struct Merge { int32_t left, right, result; };
    std::vector<Merge> merges;
    std::unordered_map<std::string, int32_t, TokenTextHash, std::equal_to<>> ids;  // token text -> id (the last one wins)

    std::optional<int32_t> bos, eos, eot, unknown;
    bool add_bos = false;
    bool add_space_prefix = false;

    int32_t size() const { return static_cast<int32_t>(tokens.size()); }
    std::optional<int32_t> find(std::string_view text) const;
};

// Reads and validates the vocabulary of a model file. Throws engine::Error.
Vocabulary load_vocabulary(const GgufFile& file);

}  // namespace engine
