#pragma once
// Rebuilds lines and reading order from positioned words (Poppler's text boxes or
// Tesseract's word boxes): words on one baseline become lines, lines split at wide gaps,
// columns are found from vertical strips of white space (gutters), and lines are read
// column by column. Each line is marked where a paragraph starts and whether it sits in the
// top or bottom band of the page, where running headers and footers live.

#include <QRectF>
#include <QSizeF>
#include <QString>

#include <cstdint>
#include <vector>

namespace ingest {

struct PositionedWord {
    QString text;
    QRectF box;               // points, origin top-left
    bool space_after = true;
};

enum class PageBand { Body, Top, Bottom };

// The words a line was made of, kept compactly (a document holds all its lines until its
// running headers are known): boxes in floats, texts in one string.
class LineWords {
public:
    void reserve(size_t words, qsizetype characters);
    void add(const PositionedWord& word);
    size_t size() const { return boxes_.size(); }
    void drop_first();                      // the word moved to the previous page
    void append_to(std::vector<PositionedWord>& out) const;

private:
    struct Word {
        float left, top, right, bottom;
        int32_t end;                        // of its text in text_; it starts where the previous ends
        bool space_after;
    };
    std::vector<Word> boxes_;
    QString text_;
    int32_t first_ = 0;                     // where the first kept word's text starts
};

// Running headers and footers sit within this fraction of the page height from the top or
// bottom edge (LaTeX puts page numbers at about 88% of the height).
constexpr double kRunningBandFraction = 0.14;

struct LayoutLine {
    QString text;             // cleaned (NFKC, control characters removed)
    double top = 0, bottom = 0;  // vertical extent in points, from the top of the page
    double height = 0;        // box height in points: a proxy for font size
    bool paragraph_start = false;
    bool soft_hyphen_end = false;  // the line ended with U+00AD: join without a hyphen
    PageBand band = PageBand::Body;
    LineWords words;          // the words the line was made of, in order: their boxes
};

struct PageLayout {
    std::vector<LayoutLine> lines;  // in reading order
    int column_count = 1;
    int undecodable = 0;            // characters dropped because the font had no Unicode map
};

PageLayout lay_out_page(const std::vector<PositionedWord>& words, QSizeF page_size);

}  // namespace ingest
