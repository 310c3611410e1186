#pragma once
// Drops running headers, footers and page numbers: lines in the top or bottom band of a
// page whose text, with digits normalised, repeats on many pages of the document.

#include "ingest/page_layout.h"

#include <QStringList>

#include <vector>

namespace ingest {

struct HeaderRemoval {
    int lines_removed = 0;
    QStringList examples;  // a few of the removed texts, to tell the reader what went
};

// A line counts as running when its key occurs on at least max(3, a quarter of the pages)
// pages; in documents of two or three pages it must occur on every page.
HeaderRemoval remove_running_headers(std::vector<std::vector<LayoutLine>>& pages);

// The repetition key: lower case, digit runs and lone roman numerals become '#'.
QString running_line_key(const QString& text);

}  // namespace ingest
