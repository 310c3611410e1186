#pragma once
// The one error type ingest throws. Every message names the file and says what the person
// can do about it; `code` lets callers react (for example, ask for a password).

#include <QString>

#include <stdexcept>

namespace ingest {

enum class IngestErrorCode {
    NotFound,        // the file does not exist or vanished while being read
    Unreadable,      // permissions, I/O errors
    Empty,           // zero bytes, or no text at all
    TooLarge,        // absurd size or page count
    WrongFormat,     // content is not PDF/text (a PNG or ZIP renamed, a binary file)
    Damaged,         // truncated or corrupt PDF
    NeedsPassword,   // encrypted PDF, no password given
    WrongPassword,   // encrypted PDF, password does not open it
    NoText,          // every page of a PDF came out empty
    Changed,         // the file changed while it was being read
    Cancelled,       // the caller's cancel flag was raised
};

class IngestError : public std::runtime_error {
public:
    IngestError(IngestErrorCode code, const QString& message)
        : std::runtime_error(message.toStdString()), code_(code) {}
    IngestErrorCode code() const { return code_; }
    QString message() const { return QString::fromUtf8(what()); }

private:
    IngestErrorCode code_;
};

}  // namespace ingest
