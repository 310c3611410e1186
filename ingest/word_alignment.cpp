#include "ingest/word_alignment.h"

#include "ingest/text_cleaner.h"

namespace ingest {
namespace {

// A drawn word as it appears in clean text: normalised like the text, without the hyphen
// of a word broken across lines.
QString searchable(const QString& word) {
    QString w = clean_text(word).text.simplified();
    while (w.size() > 1 && (w.endsWith(u'-') || w.endsWith(QChar(0x2010)))) w.chop(1);
    return w;
}

// How far ahead of the last match a word may be and still count as the next one.
constexpr qsizetype kNear = 160;
// Words that must follow a far match, in order, for it to count.
constexpr int kConfirming = 2;

// Whether the next words (kConfirming of them, or as many as are left, at least one)
// follow `position` closely in `text`.
bool confirmed(const QString& text, const std::vector<QString>& words, size_t from, qsizetype position) {
    int seen = 0;
    for (size_t i = from; i < words.size() && seen < kConfirming; ++i) {
        if (words[i].isEmpty()) continue;
        const qsizetype next = text.indexOf(words[i], position);
        if (next < 0 || next - position > 8) return false;
        position = next + words[i].size();
        ++seen;
    }
    return seen > 0;
}

}  // namespace

std::vector<WordBox> align_words(const QString& page_text, const std::vector<PositionedWord>& drawn) {
    std::vector<QString> words;
    words.reserve(drawn.size());
    for (const auto& w : drawn) words.push_back(searchable(w.text));

    // UTF-8 byte offset of every UTF-16 position, for the ranges citations use.
    std::vector<int> utf8_at(size_t(page_text.size()) + 1, 0);
    for (qsizetype i = 0; i < page_text.size(); ++i) {
        const char16_t c = page_text[i].unicode();
        const int bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : QChar::isHighSurrogate(c) ? 4 : QChar::isLowSurrogate(c) ? 0 : 3;
        utf8_at[size_t(i) + 1] = utf8_at[size_t(i)] + bytes;
    }

    std::vector<WordBox> boxes;
    boxes.reserve(drawn.size());
    qsizetype cursor = 0;
    for (size_t i = 0; i < words.size(); ++i) {
        const QString& w = words[i];
        if (w.isEmpty()) continue;
        qsizetype at = page_text.indexOf(w, cursor);
        if (at < 0 || at - cursor > kNear) {
            // Another column, or text the cleaner moved: the first place the following words
            // confirm, searching from the top of the page.
            at = -1;
            for (qsizetype from = 0; (from = page_text.indexOf(w, from)) >= 0; ++from)
                if (confirmed(page_text, words, i + 1, from + w.size())) {
                    at = from;
                    break;
                }
            if (at < 0) continue;
        }
        boxes.push_back({drawn[i].box, utf8_at[size_t(at)], utf8_at[size_t(at + w.size())]});
        cursor = at + w.size();
    }
    return boxes;
}

}  // namespace ingest
