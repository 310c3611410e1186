#include "ingest/word_alignment.h"

#include "ingest/text_cleaner.h"

#include <optional>

namespace ingest {
namespace {

bool is_word_char(QChar c) { return c.isLetterOrNumber() || c.isMark(); }
bool is_line_hyphen(QChar c) { return c == u'-' || c == QChar(0x2010); }

struct Target {
    QString text;         // normalised
    bool broken = false;  // ends in a hyphen or soft hyphen: the text may continue it without a space
    bool space_after = true;
};

Target target_of(const PositionedWord& word) {
    Target t;
    t.text = normalised_word(word.text);
    const QString raw = word.text.trimmed();
    t.broken = !raw.isEmpty() && (is_line_hyphen(raw.back()) || raw.back() == QChar(0x00AD));
    t.space_after = word.space_after;
    return t;
}

struct Found {
    qsizetype begin = 0, end = 0;
    bool continues = false;  // a broken word's head: the joined word goes on at `end`
};

class Aligner {
public:
    explicit Aligner(const QString& text) : text_(text), utf8_(size_t(text.size()) + 1, 0) {
        int offset = 0;
        for (qsizetype i = 0; i < text.size(); ++i) {
            utf8_[size_t(i)] = offset;
            const char16_t c = text[i].unicode();
            if (QChar::isHighSurrogate(c) && i + 1 < text.size() && QChar::isLowSurrogate(text[i + 1].unicode())) {
                utf8_[size_t(++i)] = offset;
                offset += 4;
            } else {
                offset += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        utf8_.back() = offset;
    }

    qsizetype size() const { return text_.size(); }
    int byte(qsizetype i) const { return utf8_[size_t(i)]; }

    qsizetype skip_space(qsizetype at) const {
        while (at < text_.size() && text_[at].isSpace()) ++at;
        return at;
    }

    // `t` starting at `at`; `whole` asks for a token of its own (not inside another word).
    std::optional<Found> match(const Target& t, qsizetype at, bool whole) const {
        if (whole && at > 0 && is_word_char(text_[at - 1]) && is_word_char(t.text.front())) return std::nullopt;
        if (equal_at(t.text, at)) {
            const qsizetype end = at + t.text.size();
            const bool continues = end < text_.size() && is_word_char(text_[end]);
            if (t.broken && continues) return Found{at, end, true};  // "well-" in "well-known"
            if (continues && is_word_char(t.text.back()) && (whole || t.space_after)) return std::nullopt;
            return Found{at, end, false};
        }
        // "exam-" whose hyphen the joiner dropped: "example".
        if (t.broken && t.text.size() > 1 && is_line_hyphen(t.text.back())) {
            const qsizetype end = at + t.text.size() - 1;
            if (equal_at(QStringView(t.text).chopped(1), at) && end < text_.size() && is_word_char(text_[end]))
                return Found{at, end, true};
        }
        return std::nullopt;
    }

    // Whole-token places of `t` with a start in [from, to), in order; at most `limit`.
    std::vector<Found> places(const Target& t, qsizetype from, qsizetype to, size_t limit) const {
        std::vector<Found> out;
        const QStringView key = t.broken && t.text.size() > 1 && is_line_hyphen(t.text.back())
                                    ? QStringView(t.text).chopped(1) : QStringView(t.text);
        for (qsizetype at = text_.indexOf(key, from); at >= 0 && at < to && out.size() < limit;
             at = text_.indexOf(key, at + 1))
            if (auto f = match(t, at, true)) out.push_back(*f);
        return out;
    }

    // The end of the joined word that goes on at `at`.
    qsizetype word_end(qsizetype at) const {
        while (at < text_.size() && (is_word_char(text_[at]) || is_line_hyphen(text_[at]))) ++at;
        return at;
    }

private:
    bool equal_at(QStringView word, qsizetype at) const {
        return at + word.size() <= text_.size() && QStringView(text_).mid(at, word.size()) == word;
    }

    const QString& text_;
    std::vector<int> utf8_;  // byte offset of each UTF-16 index, and of the end
};

}  // namespace

QString normalised_word(const QString& word) {
    // Printable ASCII is its own normal form; most words are, and NFKC is not cheap.
    bool ascii = !word.isEmpty();
    for (QChar c : word) ascii = ascii && c.unicode() > 0x20 && c.unicode() < 0x7F;
    return ascii ? word : clean_text(word).text.simplified();
}

std::vector<WordBox> align_words(const QString& text, const std::vector<PositionedWord>& words) {
    std::vector<WordBox> boxes;
    if (text.isEmpty() || words.empty()) return boxes;
    boxes.reserve(words.size());
    const Aligner aligner(text);
    std::vector<Target> targets;
    targets.reserve(words.size());
    for (const auto& w : words) targets.push_back(target_of(w));

    qsizetype cursor = 0;
    std::optional<size_t> head;   // the box of a broken word's head, waiting for its tail
    qsizetype tail_at = 0;        // where that tail must start
    for (size_t i = 0; i < words.size(); ++i) {
        const Target& t = targets[i];
        if (t.text.isEmpty()) continue;
        std::optional<Found> found;
        if (head) {
            found = aligner.match(t, tail_at, false);
            if (found) {
                // Both halves cover the joined word.
                WordBox& first = boxes[*head];
                const qsizetype end = found->continues ? aligner.word_end(found->end) : found->end;
                first.end = std::max(first.end, aligner.byte(end));
                boxes.push_back({words[i].box, first.begin, first.end});
                cursor = found->end;
                head.reset();
                if (found->continues) { head = boxes.size() - 1; tail_at = found->end; }
                continue;
            }
            head.reset();
        }
        found = aligner.match(t, aligner.skip_space(cursor), false);
        if (!found) {
            // Elsewhere: after the cursor first, then before it.
            auto candidates = aligner.places(t, cursor, aligner.size(), 2);
            if (candidates.empty()) candidates = aligner.places(t, 0, cursor, 2);
            if (candidates.empty()) continue;
            const Found& f = candidates.front();
            bool sure = aligner.places(t, 0, aligner.size(), 2).size() == 1;
            for (size_t j = i + 1; !sure && j < words.size() && j < i + 3; ++j) {
                if (targets[j].text.isEmpty()) continue;
                sure = bool(aligner.match(targets[j], f.continues ? f.end : aligner.skip_space(f.end), false));
                break;
            }
            if (!sure) continue;
            found = f;
        }
        const qsizetype end = found->continues ? aligner.word_end(found->end) : found->end;
        boxes.push_back({words[i].box, aligner.byte(found->begin), aligner.byte(end)});
        cursor = found->end;
        if (found->continues) { head = boxes.size() - 1; tail_at = found->end; }
    }
    return boxes;
}

}  // namespace ingest
