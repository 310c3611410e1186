#pragma once
// Unicode clean-up applied to every piece of text ingest produces: compatibility
// normalisation (NFKC: "ﬁ" -> "fi", non-breaking and thin spaces -> space, full-width
// forms -> ASCII), soft hyphens and zero-width characters removed, control characters
// stripped (tabs become spaces; newlines are kept).

#include <QString>

namespace ingest {

struct CleanResult {
    QString text;
    int undecodable = 0;  // U+FFFD and private-use characters dropped (fonts without a Unicode map)
};

CleanResult clean_text(const QString& raw);

}  // namespace ingest
