#include "ingest/page_layout.h"

#include "ingest/text_cleaner.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ingest {
namespace {

// A horizontal gap wider than this many line heights splits a line into two segments.
constexpr double kSegmentGap = 1.2;
// A column must hold this share of the text width, so a right-aligned run of numbers is not one.
constexpr double kMinColumnShare = 0.15;
// Lines of a text column fill most of its width (all but the last line of a paragraph).
constexpr double kMinLineFill = 0.6;

struct Segment {
    std::vector<const PositionedWord*> words;
    QRectF box;
    int row = 0;
    int column = -1;  // -1: spans a gutter
    double font_height = 0;  // median word height: a superscript must not make a line look bigger
    int pieces = 1;          // > 1: merged from parts of a row with wide gaps (a table row)
};

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

double median_word_height(const Segment& s) {
    std::vector<double> heights;
    heights.reserve(s.words.size());
    for (const auto* w : s.words) heights.push_back(w->box.height());
    return median(std::move(heights));
}

// Words whose vertical centres are within half a line height form one row.
std::vector<std::vector<const PositionedWord*>> group_rows(const std::vector<PositionedWord>& words) {
    std::vector<const PositionedWord*> order;
    for (const auto& w : words)
        if (!w.text.trimmed().isEmpty() && w.box.height() > 0) order.push_back(&w);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->box.center().y() < b->box.center().y(); });

    std::vector<std::vector<const PositionedWord*>> rows;
    double row_center = 0, row_height = 0;
    for (const auto* w : order) {
        const double tolerance = 0.5 * std::min(row_height, w->box.height());
        if (!rows.empty() && std::abs(w->box.center().y() - row_center) <= tolerance) {
            rows.back().push_back(w);
            continue;
        }
        rows.push_back({w});
        row_center = w->box.center().y();
        row_height = w->box.height();
    }
    return rows;
}

std::vector<Segment> split_rows(std::vector<std::vector<const PositionedWord*>>& rows) {
    std::vector<Segment> segments;
    for (int r = 0; r < int(rows.size()); ++r) {
        auto& row = rows[r];
        std::stable_sort(row.begin(), row.end(), [](auto* a, auto* b) { return a->box.left() < b->box.left(); });
        Segment current;
        for (const auto* w : row) {
            if (!current.words.empty()) {
                const auto* prev = current.words.back();
                // Some PDFs draw a word twice for a bold effect; keep one copy.
                if (prev->text == w->text && prev->box.intersected(w->box).width() > 0.8 * w->box.width()) continue;
                const double gap = w->box.left() - prev->box.right();
                if (gap > kSegmentGap * std::max(prev->box.height(), w->box.height())) {
                    segments.push_back(std::move(current));
                    current = {};
                }
            }
            current.box = current.words.empty() ? w->box : current.box.united(w->box);
            current.words.push_back(w);
            current.row = r;
        }
        if (!current.words.empty()) segments.push_back(std::move(current));
    }
    return segments;
}

struct Gutter { double start, end; };

// The column a box belongs to, or -1 when it crosses the middle of a gutter. The middle, not
// the edges: a gutter found while allowing a few crossings can nibble at long lines' ends.
int column_of(const QRectF& box, const std::vector<Gutter>& gutters) {
    int column = 0;
    for (const auto& g : gutters) {
        const double mid = 0.5 * (g.start + g.end);
        if (box.left() < mid && box.right() > mid) return -1;
        if (box.left() >= mid) ++column;
    }
    return column;
}

// Vertical strips that (almost) no segment crosses, with enough text on both sides.
std::vector<Gutter> find_gutters(const std::vector<Segment>& all_segments, double typical_height, double page_height) {
    // Running headers, footers and page numbers often cross the gutter; leave them out.
    std::vector<Segment> segments;
    for (const auto& s : all_segments)
        if (s.box.bottom() >= kRunningBandFraction * page_height && s.box.top() <= (1 - kRunningBandFraction) * page_height)
            segments.push_back(s);
    if (segments.size() < 6) return {};
    double left = std::numeric_limits<double>::max(), right = std::numeric_limits<double>::lowest();
    for (const auto& s : segments) { left = std::min(left, s.box.left()); right = std::max(right, s.box.right()); }
    const int bins = int(std::ceil(right - left));
    if (bins <= 2) return {};
    std::vector<int> coverage(bins, 0);
    for (const auto& s : segments) {
        const int a = std::clamp(int(std::floor(s.box.left() - left)), 0, bins - 1);
        const int b = std::clamp(int(std::ceil(s.box.right() - left)), 0, bins);
        for (int i = a; i < b; ++i) ++coverage[i];
    }
    // Titles and figure captions may cross a gutter: allow one crossing per ten segments.
    const int allowed = std::max(1, int(segments.size()) / 10);
    const double min_width = std::max(8.0, 0.7 * typical_height);
    std::vector<Gutter> gutters;
    for (int i = 1; i < bins;) {
        if (coverage[i] > allowed) { ++i; continue; }
        int j = i;
        while (j < bins && coverage[j] <= allowed) ++j;
        if (j < bins && j - i >= min_width) gutters.push_back({left + i, left + j});
        i = j;
    }

    // Drop gutters until every column is wide, holds at least three segments, and is made
    // of lines that mostly fill it. Table columns (short cells) fail the last test, so a
    // table is read row by row, keeping each label beside its value.
    const double body_width = right - left;
    while (!gutters.empty()) {
        const int columns = int(gutters.size()) + 1;
        std::vector<int> count(columns, 0);
        std::vector<std::vector<double>> widths(columns);
        std::vector<double> col_left(columns, std::numeric_limits<double>::max()), col_right(columns, std::numeric_limits<double>::lowest());
        for (const auto& s : segments) {
            const int c = column_of(s.box, gutters);
            if (c < 0) continue;
            ++count[c];
            widths[c].push_back(s.box.width());
            col_left[c] = std::min(col_left[c], s.box.left());
            col_right[c] = std::max(col_right[c], s.box.right());
        }
        int weak = -1;
        for (int c = 0; c < columns && weak < 0; ++c)
            if (count[c] < 3 || col_right[c] - col_left[c] < kMinColumnShare * body_width
                || median(widths[c]) < kMinLineFill * (col_right[c] - col_left[c]))
                weak = c;
        if (weak < 0) break;
        // Remove the narrower gutter next to the weak column.
        int g = weak == 0 ? 0 : weak == columns - 1 ? weak - 1
              : (gutters[weak - 1].end - gutters[weak - 1].start < gutters[weak].end - gutters[weak].start ? weak - 1 : weak);
        gutters.erase(gutters.begin() + g);
    }
    return gutters;
}

QString segment_text(const Segment& s) {
    QString text;
    const PositionedWord* prev = nullptr;
    for (const auto* w : s.words) {
        if (prev) {
            const double gap = w->box.left() - prev->box.right();
            if (prev->space_after || gap > 0.15 * std::min(prev->box.height(), w->box.height())) text.append(u' ');
        }
        text.append(w->text);
        prev = w;
    }
    return text;
}

// "3.1 Incremental CRC . . . . . 4": a table-of-contents entry is a line of its own.
bool ends_toc_entry(const QString& text) {
    static const QRegularExpression leader(QStringLiteral("(\\.\\s*){3,}\\S+$"));
    return leader.match(text).hasMatch();
}

bool ends_sentence(const QString& text) {
    static const QString enders = QStringLiteral(".!?:\"”'’)");
    return !text.isEmpty() && enders.contains(text.back());
}

}  // namespace

void LineWords::reserve(size_t words, qsizetype characters) {
    boxes_.reserve(boxes_.size() + words);
    text_.reserve(text_.size() + characters);
}

void LineWords::add(const PositionedWord& word) {
    text_ += word.text;
    boxes_.push_back({float(word.box.left()), float(word.box.top()), float(word.box.right()), float(word.box.bottom()),
                      int32_t(text_.size()), word.space_after});
}

void LineWords::drop_first() {
    if (boxes_.empty()) return;
    first_ = boxes_.front().end;
    boxes_.erase(boxes_.begin());
}

void LineWords::append_to(std::vector<PositionedWord>& out) const {
    int32_t begin = first_;
    for (const auto& w : boxes_) {
        out.push_back({text_.mid(begin, w.end - begin), QRectF(QPointF(w.left, w.top), QPointF(w.right, w.bottom)),
                       w.space_after});
        begin = w.end;
    }
}

PageLayout lay_out_page(const std::vector<PositionedWord>& words, QSizeF page_size) {
    PageLayout layout;
    auto rows = group_rows(words);
    auto segments = split_rows(rows);
    if (segments.empty()) return layout;
    for (auto& s : segments) s.font_height = median_word_height(s);

    std::vector<double> heights;
    for (const auto& s : segments) heights.push_back(s.font_height);
    const double typical_height = median(heights);

    const double page_height = page_size.height() > 0 ? page_size.height() : 792;
    const auto gutters = find_gutters(segments, typical_height, page_height);
    const int columns = int(gutters.size()) + 1;
    layout.column_count = columns;
    for (auto& s : segments) s.column = column_of(s.box, gutters);

    // Reading order: top to bottom; a run of column lines between two spanning lines is
    // read column by column.
    std::vector<const Segment*> ordered;
    std::vector<const Segment*> block;
    auto flush = [&] {
        std::stable_sort(block.begin(), block.end(), [](auto* a, auto* b) {
            return a->column != b->column ? a->column < b->column
                 : a->row != b->row       ? a->row < b->row
                                          : a->box.left() < b->box.left();
        });
        ordered.insert(ordered.end(), block.begin(), block.end());
        block.clear();
    };
    std::vector<const Segment*> by_row;
    for (const auto& s : segments) by_row.push_back(&s);
    std::stable_sort(by_row.begin(), by_row.end(), [](auto* a, auto* b) {
        return a->row != b->row ? a->row < b->row : a->box.left() < b->box.left();
    });
    for (const auto* s : by_row) {
        if (s->column < 0) { flush(); ordered.push_back(s); }
        else block.push_back(s);
    }
    flush();

    // Pieces of one row in one column (a table-of-contents entry and its page number, table
    // cells) are read as one line.
    std::vector<Segment> merged;
    merged.reserve(ordered.size());
    for (const auto* s : ordered) {
        if (!merged.empty() && merged.back().row == s->row && merged.back().column == s->column) {
            merged.back().words.insert(merged.back().words.end(), s->words.begin(), s->words.end());
            merged.back().box = merged.back().box.united(s->box);
            merged.back().font_height = median_word_height(merged.back());
            ++merged.back().pieces;
        } else {
            merged.push_back(*s);
        }
    }
    ordered.clear();
    for (const auto& s : merged) ordered.push_back(&s);

    // Geometry of each column on this page, and the usual distance between lines.
    std::vector<double> col_left(columns + 1, 1e9), col_right(columns + 1, -1e9);
    auto col_index = [&](const Segment* s) { return s->column < 0 ? columns : s->column; };
    for (const auto* s : ordered) {
        col_left[col_index(s)] = std::min(col_left[col_index(s)], s->box.left());
        col_right[col_index(s)] = std::max(col_right[col_index(s)], s->box.right());
    }
    std::vector<double> pitches;
    for (size_t i = 1; i < ordered.size(); ++i) {
        const auto* a = ordered[i - 1];
        const auto* b = ordered[i];
        const double pitch = b->box.center().y() - a->box.center().y();
        if (a->column == b->column && pitch > 0 && pitch < 3 * typical_height
            && std::abs(a->font_height - b->font_height) < 0.1 * a->font_height)
            pitches.push_back(pitch);
    }
    const double typical_pitch = pitches.size() >= 3 ? median(pitches) : 0;

    const Segment* p = nullptr;  // the last segment that produced a line
    for (const auto* s : ordered) {
        LayoutLine line;
        QString raw = segment_text(*s);
        if (raw.endsWith(QChar(0x00AD))) { raw.chop(1); line.soft_hyphen_end = true; }
        auto cleaned = clean_text(raw);
        layout.undecodable += cleaned.undecodable;
        line.text = cleaned.text.simplified();
        if (line.text.isEmpty()) continue;
        line.height = s->font_height;
        line.top = s->box.top();
        line.bottom = s->box.bottom();
        qsizetype characters = 0;
        for (const auto* w : s->words) characters += w->text.size();
        line.words.reserve(s->words.size(), characters);
        for (const auto* w : s->words) line.words.add(*w);
        if (s->box.bottom() < kRunningBandFraction * page_height) line.band = PageBand::Top;
        else if (s->box.top() > (1 - kRunningBandFraction) * page_height) line.band = PageBand::Bottom;

        if (layout.lines.empty()) {
            line.paragraph_start = true;
        } else {
            const double h = std::min(p->font_height, s->font_height);
            const double pitch = s->box.center().y() - p->box.center().y();
            const int c = col_index(s);
            const double width = col_right[c] - col_left[c];
            bool start = p->column != s->column || pitch <= 0;
            // Line spacing scales with the font: a wrapped title has a wider pitch than body text.
            const double expected_pitch = typical_pitch > 0 ? typical_pitch * h / typical_height : 1.35 * h;
            start = start || pitch > 1.4 * expected_pitch;
            // A change of font size starts a paragraph (a heading) unless the line before runs
            // to the column's end: then it is a wrapped sentence with code or a symbol in it.
            const bool prev_short = p->box.right() < col_right[c] - 0.15 * width;
            start = start || (std::abs(p->font_height - s->font_height) > 0.1 * std::max(p->font_height, s->font_height)
                              && (prev_short || pitch > 1.15 * expected_pitch));
            // A first-line indent after a line that started at the margin.
            start = start || (s->box.left() > col_left[c] + 0.8 * h && p->box.left() < col_left[c] + 0.3 * h);
            // A short line ending a sentence closes its paragraph.
            start = start || (p->box.right() < col_right[c] - std::max(0.15 * width, 3 * h) && ends_sentence(layout.lines.back().text));
            start = start || ends_toc_entry(layout.lines.back().text);
            // Table rows stay apart: joining them would pair labels with the wrong values.
            start = start || p->pieces > 1 || s->pieces > 1;
            line.paragraph_start = start;
        }
        layout.lines.push_back(std::move(line));
        p = s;
    }
    return layout;
}

}  // namespace ingest
