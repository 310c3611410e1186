#include "ingest/paragraph_joiner.h"

#include <QStringList>

namespace ingest {
namespace {

bool is_line_hyphen(QChar c) { return c == u'-' || c == QChar(0x2010); }

// The last word of `line`, without the trailing hyphen and leading punctuation.
QString last_word(const QString& line) {
    qsizetype start = line.size() - 1;  // skips the hyphen
    while (start > 0 && !line[start - 1].isSpace()) --start;
    QString word = line.mid(start, line.size() - 1 - start);
    while (!word.isEmpty() && !word.front().isLetterOrNumber()) word.remove(0, 1);
    return word;
}

QString first_word(const QString& line) {
    qsizetype end = 0;
    while (end < line.size() && (line[end].isLetterOrNumber() || line[end] == u'-')) ++end;
    return line.left(end);
}

bool is_compound_head(const QString& word) {
    // Kept short on purpose: "ex-\nample", "pre-\nvious", "ill-\nness" are ordinary breaks.
    static const QSet<QString> heads = {QStringLiteral("well"), QStringLiteral("self"), QStringLiteral("half")};
    return heads.contains(word.toLower());
}

}  // namespace

void DocumentVocabulary::add_line(const QString& line) {
    const auto tokens = line.split(u' ', Qt::SkipEmptyParts);
    for (qsizetype i = 0; i < tokens.size(); ++i) {
        QString token = tokens[i];
        // The last token of a line may be a broken word; it teaches nothing.
        if (i == tokens.size() - 1 && token.size() > 1 && is_line_hyphen(token.back())) continue;
        while (!token.isEmpty() && !token.back().isLetterOrNumber()) token.chop(1);
        while (!token.isEmpty() && !token.front().isLetterOrNumber()) token.remove(0, 1);
        if (token.isEmpty()) continue;
        token = token.toLower();
        if (token.contains(u'-')) {
            compounds_.insert(token);
            for (const auto& part : token.split(u'-', Qt::SkipEmptyParts)) words_.insert(part);
        } else {
            words_.insert(token);
        }
    }
}

QString join_hyphenated(const QString& head, const QString& tail, const DocumentVocabulary& vocabulary) {
    const QString head_word = last_word(head);
    const QString tail_word = first_word(tail);
    const QString kept = head + tail;                 // "well-" + "known"
    const QString dropped = head.chopped(1) + tail;   // "exam" + "ple"
    if (head_word.isEmpty() || tail_word.isEmpty()) return kept;
    if (tail.front().isUpper() || tail.front().isDigit()) return kept;
    if (head_word.contains(u'-')) return kept;
    if (vocabulary.has_compound(head_word + u'-' + tail_word)) return kept;
    if (vocabulary.has_word(head_word + tail_word)) return dropped;
    if (is_compound_head(head_word)) return kept;
    return dropped;
}

void join_words_across_pages(std::vector<std::vector<LayoutLine>>& pages, const DocumentVocabulary& vocabulary) {
    for (size_t i = 0; i + 1 < pages.size(); ++i) {
        if (pages[i].empty() || pages[i + 1].empty()) continue;
        QString& last = pages[i].back().text;
        QString& first = pages[i + 1].front().text;
        if (last.size() < 2 || !is_line_hyphen(last.back()) || !last[last.size() - 2].isLetter() || !first.front().isLower())
            continue;
        const qsizetype space = first.indexOf(u' ');
        const QString word = space < 0 ? first : first.left(space);
        const qsizetype cut = last.lastIndexOf(u' ') + 1;
        last = last.left(cut) + join_hyphenated(last.mid(cut), word, vocabulary);
        first = space < 0 ? QString() : first.mid(space + 1);
        // The tail's box is on the later page, and its text is no longer there.
        pages[i + 1].front().words.drop_first();
        if (first.isEmpty()) {
            const bool starts = pages[i + 1].front().paragraph_start;
            pages[i + 1].erase(pages[i + 1].begin());
            if (!pages[i + 1].empty()) pages[i + 1].front().paragraph_start = starts;
        }
    }
}

QString join_lines(const std::vector<LayoutLine>& lines, const DocumentVocabulary& vocabulary) {
    QStringList paragraphs;
    QString current;
    bool soft_break = false;
    for (const auto& line : lines) {
        if (line.paragraph_start && !current.isEmpty()) {
            paragraphs.append(current);
            current.clear();
        }
        if (current.isEmpty()) {
            current = line.text;
        } else if (soft_break) {
            current += line.text;
        } else if (current.size() > 1 && is_line_hyphen(current.back()) && current[current.size() - 2].isLetterOrNumber()
                   && line.text.front().isLetterOrNumber()) {
            // Only the last word and the next line's first word are examined.
            const qsizetype cut = current.lastIndexOf(u' ') + 1;
            current = current.left(cut) + join_hyphenated(current.mid(cut), line.text, vocabulary);
        } else {
            current += u' ' + line.text;
        }
        soft_break = line.soft_hyphen_end;
    }
    if (!current.isEmpty()) paragraphs.append(current);
    return paragraphs.join(QStringLiteral("\n\n"));
}

}  // namespace ingest
