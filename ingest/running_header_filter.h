#pragma once
// Drops running headers, footers and page numbers: lines in the top or bottom band of a
// page whose text, with digits normalised, repeats on several pages of the document. Lines
// are peeled from the page's edges inwards and peeling stops at the first line that does
// not repeat, so a repeated line of body text below a unique one is never touched; and the
// peeled lines must stand apart from the body by some white space, as headers do.

#include "ingest/page_layout.h"

#include <QStringList>

#include <vector>

namespace ingest {

struct HeaderRemoval {
    int lines_removed = 0;
    QStringList examples;  // a few of the removed texts, to tell the reader what went
};

// A line counts as running when its key occurs in a band on at least three pages (every page
// of a two-page document). Three is enough: chapter headers repeat only within a chapter,
// and body text rarely sits in the narrow bands, let alone identically on three pages.
HeaderRemoval remove_running_headers(std::vector<std::vector<LayoutLine>>& pages);

// The repetition key: lower case, digit runs and lone roman numerals become '#'.
QString running_line_key(const QString& text);

}  // namespace ingest
