#include "engine/tokenizer/spm_merge.h"

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

#include <cstdio>
#include <queue>
#include <string>

namespace engine {
namespace {

struct Piece {
    size_t begin, length;  // bytes of the text
    int32_t prev, next;
    bool alive;
};

struct Candidate {
    float score;
    int32_t left, right;
    size_t length;  // of the merged piece, to notice stale candidates
    // Max-heap order: a higher score first, then the leftmost.
    bool operator<(const Candidate& o) const { return score != o.score ? score < o.score : left > o.left; }
};

}  // namespace

std::string escape_spm_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (char c : text) {
        if (c == ' ')
            out += "\xE2\x96\x81";
        else
            out += c;
    }
    return out;
}

SpmMerger::SpmMerger(const Vocabulary& vocab) : vocab_(&vocab) {
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const auto id = vocab.find(name);
        byte_token_[b] = id && vocab.types[*id] == TokenType::Byte ? *id : -1;
    }
}

// A token the merging may produce: ordinary pieces only, never control, byte or unused ones.
std::optional<int32_t> SpmMerger::piece_id(std::string_view piece) const {
    const auto id = vocab_->find(piece);
    if (!id) return std::nullopt;
    const TokenType t = vocab_->types[*id];
    if (t == TokenType::Normal || t == TokenType::UserDefined || t == TokenType::Undefined) return id;
    return std::nullopt;
}

void SpmMerger::encode(std::string_view text, std::vector<int32_t>& out) const {
    std::vector<Piece> pieces;
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = utf8_step(text, pos).length;
        const auto index = static_cast<int32_t>(pieces.size());
        pieces.push_back({pos, len, index - 1, index + 1, true});
        pos += len;
    }
    if (pieces.empty()) return;
    pieces.back().next = -1;

    std::priority_queue<Candidate> queue;
    const auto consider = [&](int32_t left) {
        if (left < 0 || pieces[left].next < 0) return;
        const Piece& l = pieces[left];
        const Piece& r = pieces[l.next];
        const size_t length = l.length + r.length;
        if (auto id = piece_id(text.substr(l.begin, length)))
            queue.push({vocab_->scores[*id], left, l.next, length});
    };
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(pieces.size()); ++i) consider(i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Piece& left = pieces[c.left];
        if (!left.alive || left.next != c.right) continue;
        Piece& right = pieces[c.right];
        if (!right.alive || left.length + right.length != c.length) continue;  // stale
        left.length += right.length;
        left.next = right.next;
        if (right.next >= 0) pieces[right.next].prev = c.left;
        right.alive = false;
        consider(left.prev);
        consider(c.left);
    }

    for (int32_t i = 0; i >= 0; i = pieces[i].next) {
        const std::string_view piece = text.substr(pieces[i].begin, pieces[i].length);
        if (auto id = piece_id(piece)) {
            out.push_back(*id);
            continue;
        }
        for (char c : piece) {
            const int32_t byte_id = byte_token_[static_cast<unsigned char>(c)];
            if (byte_id >= 0) {
                out.push_back(byte_id);
            } else if (vocab_->unknown) {
                // Without byte tokens the whole character is unknown, once.
                out.push_back(*vocab_->unknown);
                break;
            } else {
                throw Error("tokenizer: \"" + std::string(piece) + "\" has no token, no <0xXX> byte token "
                            "and the vocabulary has no unknown token (tokenizer.ggml.unknown_token_id)");
            }
        }
    }
}

}  // namespace engine
