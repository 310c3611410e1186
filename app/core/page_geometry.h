#pragma once
// Where a document's pages and words are drawn, for showing a cited page with the passages
// an answer drew on marked: per page its size and the boxes of its words, each with the
// UTF-8 byte range of the word in the page's text (the ranges citations give).

#include "ingest/document.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace glimpse {

struct WordBox {
    float left = 0, top = 0, right = 0, bottom = 0;   // points, origin top-left
    int32_t begin = 0, end = 0;                       // UTF-8 byte range in the page text
    bool operator==(const WordBox&) const = default;
};

struct PageGeometry {
    float width = 0, height = 0;   // points; 0 when the page has no drawing (text files)
    std::vector<WordBox> words;
    bool operator==(const PageGeometry&) const = default;
};

// One per page, in order.
std::vector<PageGeometry> page_geometry_of(const ingest::Document& document);

// The boxes of the words that overlap any of the UTF-8 byte ranges [begin, end).
std::vector<WordBox> boxes_in(const PageGeometry& page, const std::vector<std::pair<int, int>>& ranges);

}  // namespace glimpse
