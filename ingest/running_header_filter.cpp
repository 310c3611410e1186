#include "ingest/running_header_filter.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <cmath>

namespace ingest {

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
    const int threshold = page_count >= 4 ? std::max(3, int(std::ceil(page_count / 4.0))) : page_count;

    QHash<QString, int> pages_with_key;
    for (const auto& lines : pages) {
        QSet<QString> seen;
        for (const auto& line : lines)
            if (line.band != PageBand::Body) seen.insert(running_line_key(line.text));
        for (const auto& key : seen) ++pages_with_key[key];
    }

    QSet<QString> example_keys;
    for (auto& lines : pages) {
        std::vector<LayoutLine> kept;
        kept.reserve(lines.size());
        bool next_starts_paragraph = false;
        for (auto& line : lines) {
            const QString key = line.band == PageBand::Body ? QString() : running_line_key(line.text);
            if (!key.isEmpty() && pages_with_key.value(key) >= threshold) {
                ++removal.lines_removed;
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
