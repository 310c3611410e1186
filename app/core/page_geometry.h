#pragma once
// Where the words of a page sit, for drawing passages of its text on the rendered page:
// the page size and one box per word with the word's byte range in the page text. Made from
// ingest's word boxes and kept with the session's documents.

#include "ingest/document.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace glimpse {

struct WordBox {
    float left = 0, top = 0, right = 0, bottom = 0;  // points, origin top-left, page unrotated
    int32_t begin = 0, end = 0;                      // UTF-8 byte range in the page text
    bool operator==(const WordBox&) const = default;
};

struct PageGeometry {
    float width = 0, height = 0;   // points; width 0: no geometry (text files)
    std::vector<WordBox> words;    // in reading order of the page text
    bool operator==(const PageGeometry&) const = default;
};

// One per page of `document`, in order.
std::vector<PageGeometry> page_geometry_of(const ingest::Document& document);

// The boxes of the words overlapping the UTF-8 byte ranges [begin, end) — what a page view
// highlights. In the page's word order, each box once.
std::vector<WordBox> boxes_in(const PageGeometry& page, const std::vector<std::pair<int, int>>& ranges);

}  // namespace glimpse
