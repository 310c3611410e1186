#include "engine/tokenizer/vocabulary.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"

#include <limits>

namespace engine {
namespace {

constexpr const char* kModelKey = "tokenizer.ggml.model";
constexpr const char* kPreKey = "tokenizer.ggml.pre";
constexpr const char* kTokensKey = "tokenizer.ggml.tokens";
constexpr const char* kTypesKey = "tokenizer.ggml.token_type";
constexpr const char* kScoresKey = "tokenizer.ggml.scores";
constexpr const char* kMergesKey = "tokenizer.ggml.merges";

[[noreturn]] void fail(const GgufFile& file, std::string_view key, const std::string& problem) {
    throw Error(ErrorKind::BadFile, file.name() + ": " + std::string(key) + " " + problem);
}

// The array under `key`, or nullptr when absent; an array of another element type is an error.
const GgufArray* find_array(const GgufFile& file, std::string_view key, GgufValueType element,
                            size_t expected_length = 0) {
    const GgufValue* value = file.find(key);
    if (!value) return nullptr;
    if (value->type() != GgufValueType::Array)
        fail(file, key, "must be an array of " + std::string(gguf_value_type_name(element)) +
                            ", found a " + std::string(gguf_value_type_name(value->type())));
    const GgufArray& array = value->as_array();
    if (array.element_type != element)
        fail(file, key, "must be an array of " + std::string(gguf_value_type_name(element)) +
                            ", found an array of " + std::string(gguf_value_type_name(array.element_type)));
    if (expected_length && array.elements.size() != expected_length)
        fail(file, key, "has " + std::to_string(array.elements.size()) + " entries but " +
                            std::string(kTokensKey) + " has " + std::to_string(expected_length));
    return &array;
}

std::optional<std::string> find_string(const GgufFile& file, std::string_view key) {
    const GgufValue* value = file.find(key);
    if (!value) return std::nullopt;
    if (value->type() != GgufValueType::String)
        fail(file, key, "must be a string, found a " + std::string(gguf_value_type_name(value->type())));
    return value->as_string();
}

std::optional<bool> find_bool(const GgufFile& file, std::string_view key) {
    const GgufValue* value = file.find(key);
    if (!value) return std::nullopt;
    if (value->type() != GgufValueType::Bool)
        fail(file, key, "must be a bool, found a " + std::string(gguf_value_type_name(value->type())));
    return value->as_bool();
}

std::optional<int32_t> find_token_id(const GgufFile& file, std::string_view key, int32_t vocab_size) {
    const GgufValue* value = file.find(key);
    if (!value) return std::nullopt;
    if (!value->is_integer())
        fail(file, key, "must be an integer token id, found a " +
                            std::string(gguf_value_type_name(value->type())));
    const bool is_signed = value->type() == GgufValueType::Int8 || value->type() == GgufValueType::Int16 ||
                           value->type() == GgufValueType::Int32 || value->type() == GgufValueType::Int64;
    if (is_signed ? value->as_int() < 0 || value->as_int() >= vocab_size
                  : value->as_uint() >= static_cast<uint64_t>(vocab_size))
        fail(file, key, "is " + value->to_display_string() + ", outside the vocabulary of " +
                            std::to_string(vocab_size) + " tokens");
    return static_cast<int32_t>(is_signed ? value->as_int() : static_cast<int64_t>(value->as_uint()));
}

void load_merges(const GgufFile& file, Vocabulary& vocab) {
    const GgufArray* merges = find_array(file, kMergesKey, GgufValueType::String);
    if (!merges) fail(file, kMergesKey, "is missing: a byte-level (gpt2) vocabulary needs its merges");
    vocab.merges.reserve(merges->elements.size());
    for (size_t i = 0; i < merges->elements.size(); ++i) {
        const std::string& merge = merges->elements[i].as_string();
        // Byte-level tokens never hold a plain space, so the first one after the first
        // character separates the two parts.
        const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string::npos;
        const auto where = [&] { return "entry " + std::to_string(i) + " (\"" + merge + "\")"; };
        if (space == std::string::npos || space + 1 >= merge.size())
            fail(file, kMergesKey, where() + " is not two tokens separated by a space");
        const std::string_view left(merge.data(), space);
        const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
        const auto left_id = vocab.find(left);
        const auto right_id = vocab.find(right);
        const auto result_id = vocab.find(std::string(left) + std::string(right));
        if (!left_id || !right_id)
            fail(file, kMergesKey, where() + " names a token that is not in " + std::string(kTokensKey));
        if (!result_id)
            fail(file, kMergesKey, where() + " makes a token that is not in " + std::string(kTokensKey));
        vocab.merges.push_back({*left_id, *right_id, *result_id});
    }
}

// The first of `names` that is a token, if any.
std::optional<int32_t> first_present(const Vocabulary& vocab, std::initializer_list<std::string_view> names) {
    for (auto name : names)
        if (auto id = vocab.find(name)) return id;
    return std::nullopt;
}

}  // namespace

std::optional<int32_t> Vocabulary::find(std::string_view text) const {
    auto it = ids.find(text);
    if (it == ids.end()) return std::nullopt;
    return it->second;
}

Vocabulary load_vocabulary(const GgufFile& file) {
    Vocabulary vocab;
    const auto model = find_string(file, kModelKey);
    if (!model) fail(file, kModelKey, "is missing: the file has no tokenizer");
    vocab.model_name = *model;
    if (*model == "gpt2")
        vocab.model = VocabularyModel::BytePairGpt2;
    else if (*model == "llama")
        vocab.model = VocabularyModel::SentencePiece;
    else
        fail(file, kModelKey, "is \"" + *model + "\": only \"gpt2\" (byte-level BPE) and \"llama\" "
                              "(SentencePiece) vocabularies are supported");
    if (auto pre = find_string(file, kPreKey)) vocab.pre = *pre;

    const GgufArray* tokens = find_array(file, kTokensKey, GgufValueType::String);
    if (!tokens) fail(file, kTokensKey, "is missing");
    if (tokens->elements.empty()) fail(file, kTokensKey, "is empty");
    if (tokens->elements.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        fail(file, kTokensKey, "has more tokens than 32-bit ids can number");
    const size_t n = tokens->elements.size();
    vocab.tokens.reserve(n);
    vocab.ids.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        vocab.tokens.push_back(tokens->elements[i].as_string());
        vocab.ids[vocab.tokens.back()] = static_cast<int32_t>(i);
    }

    vocab.types.assign(n, TokenType::Normal);
    if (const GgufArray* types = find_array(file, kTypesKey, GgufValueType::Int32, n)) {
        for (size_t i = 0; i < n; ++i) {
            const int64_t t = types->elements[i].as_int();
            if (t < 0 || t > static_cast<int64_t>(TokenType::Byte))
                fail(file, kTypesKey, "entry " + std::to_string(i) + " is " + std::to_string(t) +
                                          ", not a token type (0 to 6)");
            vocab.types[i] = static_cast<TokenType>(t);
        }
    }

    if (const GgufArray* scores = find_array(file, kScoresKey, GgufValueType::Float32, n)) {
        vocab.scores.reserve(n);
        for (const auto& s : scores->elements) vocab.scores.push_back(static_cast<float>(s.as_float()));
    } else if (vocab.model == VocabularyModel::SentencePiece) {
        fail(file, kScoresKey, "is missing: a SentencePiece (llama) vocabulary merges by score");
    }

    if (vocab.model == VocabularyModel::BytePairGpt2) load_merges(file, vocab);

    const int32_t size = vocab.size();
    vocab.bos = find_token_id(file, "tokenizer.ggml.bos_token_id", size);
    vocab.eos = find_token_id(file, "tokenizer.ggml.eos_token_id", size);
    vocab.eot = find_token_id(file, "tokenizer.ggml.eot_token_id", size);
    vocab.unknown = find_token_id(file, "tokenizer.ggml.unknown_token_id", size);
    if (!vocab.eot) vocab.eot = first_present(vocab, {"<|eot_id|>", "<|im_end|>", "<end_of_turn>"});
    if (vocab.model == VocabularyModel::SentencePiece && !vocab.unknown) {
        for (int32_t i = 0; i < size; ++i)
            if (vocab.types[i] == TokenType::Unknown) { vocab.unknown = i; break; }
    }

    const bool spm = vocab.model == VocabularyModel::SentencePiece;
    vocab.add_bos = find_bool(file, "tokenizer.ggml.add_bos_token").value_or(spm);
    vocab.add_space_prefix = find_bool(file, "tokenizer.ggml.add_space_prefix").value_or(spm);
    if (vocab.add_bos && !vocab.bos)
        fail(file, "tokenizer.ggml.add_bos_token", "is true but tokenizer.ggml.bos_token_id is missing");
    return vocab;
}

}  // namespace engine
