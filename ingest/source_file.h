#pragma once
// The file being read, watched from outside: its fingerprint, and whether it is still the
// same file (a file that vanishes or changes halfway would give text that matches neither
// version, so reading stops with an error instead).

#include "ingest/ingest_error.h"

#include <QDateTime>
#include <QString>

#include <atomic>

namespace ingest {

class SourceFile {
public:
    // Records size and modification time; throws IngestError if the file is missing.
    explicit SourceFile(const QString& path);

    const QString& path() const { return path_; }
    QString name() const;  // the file name, for messages
    qint64 size() const { return size_; }

    // Throws IngestError (NotFound or Changed) if the file is gone or differs from when
    // it was first seen.
    void check_unchanged() const;

    // SHA-256 of the file's bytes, lowercase hex. Polls `cancel` between chunks.
    QString sha256(const std::atomic<bool>* cancel) const;

private:
    QString path_;
    qint64 size_ = 0;
    QDateTime modified_;
};

[[noreturn]] void throw_cancelled(const QString& name);

}  // namespace ingest
