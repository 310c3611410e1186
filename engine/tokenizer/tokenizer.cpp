#include "engine/tokenizer/tokenizer.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/end_of_turn.h"
#include "engine/tokenizer/bpe_merge.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/special_tokens.h"
#include "engine/tokenizer/spm_merge.h"

#include <algorithm>
#include <optional>

namespace engine {

struct Tokenizer::State {
    Vocabulary vocab;
    SpecialTokenMatcher specials;
    std::optional<PreTokenizer> pre_tokenizer;  // byte-level vocabularies
    std::optional<BpeMerger> bpe;
    std::optional<SpmMerger> spm;
    std::vector<int32_t> end_of_generation;  // sorted

    explicit State(Vocabulary v) : vocab(std::move(v)), specials(vocab) {}
};


Tokenizer Tokenizer::from_gguf(const GgufFile& file) {
    auto state = std::make_shared<State>(load_vocabulary(file));
    const Vocabulary& vocab = state->vocab;
    if (vocab.model == VocabularyModel::BytePairGpt2) {
        try {
            state->pre_tokenizer.emplace(PreTokenizer::for_name(vocab.pre));
        } catch (const Error& e) {
            throw Error(file.name() + ": " + e.what());
        }
        // Llama 3's tokenizer takes a word that is a token whole, before any merging.
        const bool whole_words_first = vocab.pre == "llama-bpe" || vocab.pre == "llama3";
        state->bpe.emplace(vocab, whole_words_first);
    } else {
        state->spm.emplace(vocab);
    }

    state->end_of_generation = end_of_turn_tokens(file, vocab.size());
    return Tokenizer(std::move(state));
}

const Vocabulary& Tokenizer::vocab() const { return state_->vocab; }

void Tokenizer::check_id(int32_t id) const {
    if (id < 0 || id >= vocab_size())
        throw Error("token id " + std::to_string(id) + " is out of range: the vocabulary has " +
                    std::to_string(vocab_size()) + " tokens");
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
    const State& s = *state_;
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 2);
    if (add_bos) {
        if (!s.vocab.bos) throw Error("tokenizer: a BOS token was requested but the vocabulary has none "
                                      "(tokenizer.ggml.bos_token_id)");
        ids.push_back(*s.vocab.bos);
    }
    std::vector<TextFragment> fragments;
    if (parse_special)
        fragments = s.specials.split(text);
    else if (!text.empty())
        fragments.push_back({text, -1});

    // SentencePiece puts a space before the text, and again after each special token.
    bool after_special = true;
    for (const TextFragment& f : fragments) {
        if (f.token >= 0) {
            ids.push_back(f.token);
            after_special = true;
            continue;
        }
        if (s.bpe) {
            for (std::string_view word : s.pre_tokenizer->split(f.text)) s.bpe->encode_word(word, ids);
        } else {
            std::string piece;
            if (s.vocab.add_space_prefix && after_special) piece += ' ';
            piece += f.text;
            s.spm->encode(escape_spm_spaces(piece), ids);
        }
        after_special = false;
    }
    return ids;
}

TokenType Tokenizer::token_type(int32_t id) const {
    check_id(id);
    return vocab().types[id];
}

bool Tokenizer::is_special(int32_t id) const {
    const TokenType t = token_type(id);
    return t == TokenType::Control || t == TokenType::UserDefined;
}

bool Tokenizer::is_end_of_generation(int32_t id) const {
    const auto& eog = state_->end_of_generation;
    return std::binary_search(eog.begin(), eog.end(), id);
}

std::string Tokenizer::token_to_piece(int32_t id) const {
    check_id(id);
    const Vocabulary& v = vocab();
    const std::string& text = v.tokens[id];
    switch (v.types[id]) {
        case TokenType::Normal:
        case TokenType::Undefined:
            break;
        case TokenType::Byte:
            // "<0xXX>"
            if (text.size() == 6 && text.starts_with("<0x") && text.back() == '>') {
                try {
                    return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
                } catch (const std::exception&) {
                }
            }
            return text;
        default:  // control, user-defined, unknown and unused tokens read as written
            return text;
    }
    if (v.model == VocabularyModel::BytePairGpt2) return byte_level_to_bytes(text);
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        if (text.compare(pos, 3, "\xE2\x96\x81") == 0) {
            out += ' ';
            pos += 3;
        } else {
            out += text[pos++];
        }
    }
    return out;
}

std::string Tokenizer::decode_piece(int32_t id, bool& at_boundary) const {
    std::string piece = token_to_piece(id);
    const Vocabulary& v = vocab();
    if (is_special(id)) {
        at_boundary = true;
        return piece;
    }
    if (at_boundary && v.model == VocabularyModel::SentencePiece && v.add_space_prefix &&
        v.types[id] != TokenType::Byte && !piece.empty() && piece[0] == ' ')
        piece.erase(0, 1);
    at_boundary = false;
    return piece;
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
    std::string out;
    bool at_boundary = true;
    for (int32_t id : ids) out += decode_piece(id, at_boundary);
    return out;
}

}  // namespace engine
