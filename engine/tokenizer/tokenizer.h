#pragma once
// Text <-> token ids for a model, built from its GGUF metadata (tokenizer.ggml.*).
// Two vocabulary kinds are supported: byte-level BPE (tokenizer.ggml.model = "gpt2", with
// the split pattern named by tokenizer.ggml.pre) and SentencePiece-style BPE ("llama").
// A Tokenizer is immutable and cheap to copy (copies share their tables); it may be used
// from several threads at once.

#include "engine/tokenizer/vocabulary.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

class GgufFile;

class Tokenizer {
public:
    // Throws engine::Error naming the key when the metadata is missing or inconsistent.
    static Tokenizer from_gguf(const GgufFile& file);

    // `add_bos` puts the BOS token first (throws if the vocabulary has none); with
    // `parse_special`, special-token text such as "<|im_start|>" becomes that token's id,
    // otherwise it is tokenized as ordinary text.
    std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;

    // The raw bytes of one token (possibly part of a UTF-8 sequence). Special tokens give
    // their text. Throws engine::Error for an id out of range.
    std::string token_to_piece(int32_t id) const;
    // The raw bytes of a sequence; for SentencePiece vocabularies the space that encoding
    // puts at the start of the text (and after special tokens) is removed again, so
    // decode(encode(s, false, ...)) == s.
    std::string decode(std::span<const int32_t> ids) const;
    // One step of decode(): the bytes `id` adds after the tokens before it. `at_boundary` is
    // true at the start of the text and after a special token; the call updates it.
    std::string decode_piece(int32_t id, bool& at_boundary) const;

    int32_t vocab_size() const { return vocab().size(); }
    std::string_view model() const { return vocab().model_name; }  // "gpt2" or "llama"
    std::string_view pre() const { return vocab().pre; }
    std::optional<int32_t> bos() const { return vocab().bos; }
    std::optional<int32_t> eos() const { return vocab().eos; }
    std::optional<int32_t> eot() const { return vocab().eot; }
    std::optional<int32_t> unknown() const { return vocab().unknown; }
    bool adds_bos() const { return vocab().add_bos; }

    // EOS, EOT, and the end-of-turn tokens of the common chat formats.
    bool is_end_of_generation(int32_t id) const;
    // CONTROL and USER_DEFINED tokens: the ones matched as a whole when parsing specials.
    bool is_special(int32_t id) const;
    TokenType token_type(int32_t id) const;  // throws for an id out of range
    std::optional<int32_t> find_token(std::string_view piece) const { return vocab().find(piece); }
    const Vocabulary& vocab() const;

private:
    struct State;  // the vocabulary with its matchers and mergers, built once, never changed
    explicit Tokenizer(std::shared_ptr<const State> state) : state_(std::move(state)) {}
    void check_id(int32_t id) const;

    std::shared_ptr<const State> state_;  // shared by copies
};

}  // namespace engine

#include "engine/tokenizer/stream_decoder.h"  // TokenStreamDecoder, which callers use with it
