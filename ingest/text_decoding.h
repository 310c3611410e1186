#pragma once
// Turns the bytes of a text file into a QString: UTF-8 (with or without BOM), UTF-16 and
// UTF-32 by BOM, BOM-less UTF-16 by its pattern of zero bytes, otherwise Windows-1252
// (Latin-1 with the printable 0x80-0x9F range), which is flagged as a guess.

#include <QByteArray>
#include <QString>

namespace ingest {

struct DecodedText {
    QString text;
    QString encoding;  // "UTF-8", "UTF-16LE", ... for messages
    bool guessed = false;
};

DecodedText decode_text(const QByteArray& bytes);

// 1 for BOM-less UTF-16LE, 2 for UTF-16BE, 0 when the bytes do not look like UTF-16.
int bomless_utf16(const QByteArray& head);

}  // namespace ingest
