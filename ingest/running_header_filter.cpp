#include "ingest/running_header_filter.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <numeric>

namespace ingest {
namespace {

// Headers and footers are a line or two; a few more allows for a rule of small print.
constexpr int kMaxPeeled = 4;
// White space, in line heights, that separates a header or footer from the body.
constexpr double kMinSeparation = 0.6;

}  // namespace

QString running_line_key(const QString& text) {
    static const QRegularExpression digits(QStringLiteral("\\d+"));
    static const QRegularExpression roman(QStringLiteral("^[ivxlcdm]+$"));
    QString key = text.toLower().simplified();
    key.replace(digits, QStringLiteral("#"));
    if (roman.match(key).hasMatch()) return QStringLiteral("#");
    return key;
}

HeaderRemoval remove_running_headers(std::vector<std::vector<LayoutLine>>& pages) {
    HeaderRemoval removal;
    const int page_count = int(pages.size());
    if (page_count < 2) return removal;
    const int threshold = std::min(page_count, 3);

    QHash<QString, int> pages_with_key;
    for (const auto& lines : pages) {
        QSet<QString> seen;
        for (const auto& line : lines)
            if (line.band != PageBand::Body) seen.insert(running_line_key(line.text));
        for (const auto& key : seen) ++pages_with_key[key];
    }

    QSet<QString> example_keys;
    for (auto& lines : pages) {
        std::vector<size_t> by_top(lines.size());
        std::iota(by_top.begin(), by_top.end(), size_t(0));
        std::stable_sort(by_top.begin(), by_top.end(), [&](size_t a, size_t b) { return lines[a].top < lines[b].top; });
        std::vector<bool> drop(lines.size(), false);
        // `order` runs from one edge inwards; `inward_gap` is the white space between a line
        // and the next one in that order.
        auto peel = [&](const std::vector<size_t>& order, PageBand band, auto inward_gap) {
            size_t run = 0;
            while (run < order.size() && run < size_t(kMaxPeeled)) {
                const LayoutLine& line = lines[order[run]];
                if (line.band != band || pages_with_key.value(running_line_key(line.text)) < threshold) break;
                ++run;
            }
            // A header stands apart from the body; the last body line before the bottom
            // margin (which may repeat, in code listings) does not.
            while (run > 0 && run < order.size()) {
                const LayoutLine& inner = lines[order[run - 1]];
                const LayoutLine& next = lines[order[run]];
                if (inward_gap(inner, next) >= kMinSeparation * std::min(inner.height, next.height)) break;
                --run;
            }
            for (size_t k = 0; k < run; ++k) drop[order[k]] = true;
        };
        peel(by_top, PageBand::Top, [](const LayoutLine& a, const LayoutLine& b) { return b.top - a.bottom; });
        std::stable_sort(by_top.begin(), by_top.end(), [&](size_t a, size_t b) { return lines[a].bottom > lines[b].bottom; });
        peel(by_top, PageBand::Bottom, [](const LayoutLine& a, const LayoutLine& b) { return a.top - b.bottom; });

        std::vector<LayoutLine> kept;
        kept.reserve(lines.size());
        bool next_starts_paragraph = false;
        for (size_t i = 0; i < lines.size(); ++i) {
            LayoutLine& line = lines[i];
            if (drop[i]) {
                ++removal.lines_removed;
                const QString key = running_line_key(line.text);
                if (removal.examples.size() < 3 && !example_keys.contains(key)) {
                    example_keys.insert(key);
                    removal.examples.append(line.text);
                }
                next_starts_paragraph = true;
                continue;
            }
            if (next_starts_paragraph || kept.empty()) line.paragraph_start = true;
            next_starts_paragraph = false;
            kept.push_back(std::move(line));
        }
        lines = std::move(kept);
    }
    return removal;
}

}  // namespace ingest
