#pragma once
// Decides what a file is from its first bytes (magic numbers), so that a PNG renamed
// `.pdf` is recognised as a PNG and reported as such.

#include <QByteArray>
#include <QString>

namespace ingest {

enum class SniffedKind { Pdf, Text, Other };

struct SniffResult {
    SniffedKind kind = SniffedKind::Other;
    QString description;  // for Other: what the file actually is, e.g. "a PNG image"
};

// `head` is the start of the file (a few KiB is enough).
SniffResult sniff_content(const QByteArray& head);

}  // namespace ingest
