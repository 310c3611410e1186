#include "engine/tokenizer/bpe_merge.h"

#include "engine/tokenizer/byte_level.h"

#include <queue>
#include <string>

namespace engine {
namespace {

struct Symbol {
    int32_t id;
    int32_t prev, next;  // neighbours in the word; -1 at the ends
    bool alive;
};

struct Candidate {
    int32_t rank;
    int32_t left;   // index of the left symbol
    int32_t right;  // index of the right symbol when the candidate was made
    int32_t left_id, right_id;
    // std::priority_queue is a max-heap: "less" means lower priority, i.e. a higher rank
    // or, on equal ranks, further right.
    bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
};

}  // namespace

BpeMerger::BpeMerger(const Vocabulary& vocab, bool whole_words_first)
    : vocab_(&vocab), whole_words_first_(whole_words_first) {
    for (int b = 0; b < 256; ++b) {
        const auto id = vocab.find(byte_level_char(static_cast<unsigned char>(b)));
        byte_token_[b] = id ? *id : -1;
    }
    if (vocab.unknown && vocab.types[*vocab.unknown] == TokenType::Unknown) unknown_ = vocab.unknown;
    ranks_.reserve(vocab.merges.size());
    for (size_t i = 0; i < vocab.merges.size(); ++i) {
        const auto& m = vocab.merges[i];
        // A repeated merge keeps its first (best) rank.
        ranks_.try_emplace(pair_key(m.left, m.right), Rank{static_cast<int32_t>(i), m.result});
    }
}

void BpeMerger::encode_word(std::string_view word, std::vector<int32_t>& out) const {
    if (word.empty()) return;
    if (whole_words_first_) {
        if (auto id = vocab_->find(bytes_to_byte_level(word))) {
            out.push_back(*id);
            return;
        }
    }

    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    for (char c : word) {
        int32_t id = byte_token_[static_cast<unsigned char>(c)];
        if (id < 0) {
            // Vocabularies may leave out bytes that never occur in UTF-8 (0xF5 to 0xFF...).
            // Such a byte becomes a genuine unknown token, or is left out: an "unknown"
            // id that is really a control token such as <|endoftext|> would end the text.
            if (!unknown_) continue;
            id = *unknown_;
        }
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({id, index - 1, index + 1, true});
    }
    if (symbols.empty()) return;
    symbols.back().next = -1;

    std::priority_queue<Candidate> queue;
    const auto consider = [&](int32_t left) {
        if (left < 0) return;
        const int32_t right = symbols[left].next;
        if (right < 0) return;
        auto it = ranks_.find(pair_key(symbols[left].id, symbols[right].id));
        if (it != ranks_.end()) queue.push({it->second.rank, left, right, symbols[left].id, symbols[right].id});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) consider(i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& left = symbols[c.left];
        // Skip candidates that earlier merges made stale.
        if (!left.alive || left.next != c.right || left.id != c.left_id) continue;
        Symbol& right = symbols[c.right];
        if (!right.alive || right.id != c.right_id) continue;

        left.id = ranks_.at(pair_key(c.left_id, c.right_id)).result;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = c.left;
        right.alive = false;
        consider(left.prev);
        consider(c.left);
    }

    for (int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace engine
