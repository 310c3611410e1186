#pragma once
// Turns laid-out lines into page text: lines wrapped inside a paragraph are joined with a
// space, paragraphs are separated by a blank line, and hyphens at line ends are resolved.
//
// The hyphenation rule, for a line ending in "head-" followed by a line starting "tail":
//   1. a soft hyphen (U+00AD) is always a break hint: "head" + "tail";
//   2. the hyphen stays ("head-tail") when the tail starts with an upper-case letter or a
//      digit ("Post-\nScript", "2019-\n2020"), when the head already holds a hyphen
//      ("state-of-the-\nart"), or when "head-tail" occurs elsewhere in the document;
//   3. otherwise the hyphen goes ("exam-\nple" -> "example") when "headtail" occurs
//      elsewhere in the document, or when the head is not one of the few words that mostly
//      form hyphenated compounds (well, self, half);
//   4. which leaves those compound heads: "well-\nknown" -> "well-known".

#include "ingest/page_layout.h"

#include <QSet>
#include <QString>

#include <vector>

namespace ingest {

// Words and hyphenated compounds seen inside lines anywhere in the document (lower case).
class DocumentVocabulary {
public:
    void add_line(const QString& line);
    bool has_word(const QString& word) const { return words_.contains(word.toLower()); }
    bool has_compound(const QString& compound) const { return compounds_.contains(compound.toLower()); }

private:
    QSet<QString> words_;
    QSet<QString> compounds_;
};

QString join_lines(const std::vector<LayoutLine>& lines, const DocumentVocabulary& vocabulary);

// A word hyphenated across a page break ("exam-" at the end of one page, "ple" opening the
// next) is completed on the earlier page, where it starts, and removed from the later one.
void join_words_across_pages(std::vector<std::vector<LayoutLine>>& pages, const DocumentVocabulary& vocabulary);

// The joined form of `head` (ending in a hyphen) and `tail`, following the rule above.
QString join_hyphenated(const QString& head, const QString& tail, const DocumentVocabulary& vocabulary);

}  // namespace ingest
