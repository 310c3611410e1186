#include "core/page_geometry.h"

namespace glimpse {

std::vector<PageGeometry> page_geometry_of(const ingest::Document& document) {
    std::vector<PageGeometry> pages;
    pages.reserve(document.pages.size());
    for (const auto& page : document.pages) {
        PageGeometry g;
        if (!page.size.isEmpty()) {
            g.width = float(page.size.width());
            g.height = float(page.size.height());
            g.words.reserve(page.words.size());
            for (const auto& w : page.words)
                g.words.push_back({float(w.box.left()), float(w.box.top()), float(w.box.right()), float(w.box.bottom()),
                                   w.begin, w.end});
        }
        pages.push_back(std::move(g));
    }
    return pages;
}

std::vector<WordBox> boxes_in(const PageGeometry& page, const std::vector<std::pair<int, int>>& ranges) {
    std::vector<WordBox> out;
    for (const auto& w : page.words)
        for (const auto& [begin, end] : ranges)
            if (w.begin < end && begin < w.end) {
                out.push_back(w);
                break;
            }
    return out;
}

}  // namespace glimpse
