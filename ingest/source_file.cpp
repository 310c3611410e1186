#include "ingest/source_file.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>

namespace ingest {

SourceFile::SourceFile(const QString& path) : path_(QFileInfo(path).absoluteFilePath()) {
    QFileInfo info(path_);
    if (!info.exists())
        throw IngestError(IngestErrorCode::NotFound, QStringLiteral("%1: no such file").arg(path));
    size_ = info.size();
    modified_ = info.lastModified();
}

QString SourceFile::name() const { return QFileInfo(path_).fileName(); }

void SourceFile::check_unchanged() const {
    QFileInfo info(path_);
    if (!info.exists())
        throw IngestError(IngestErrorCode::NotFound,
                          QStringLiteral("%1 disappeared while it was being read (moved, deleted or its drive was "
                                         "disconnected); put it back and add it again")
                              .arg(path_));
    if (info.size() != size_ || info.lastModified() != modified_)
        throw IngestError(IngestErrorCode::Changed,
                          QStringLiteral("%1 changed while it was being read (%2 bytes, now %3); wait until it is "
                                         "completely written and add it again")
                              .arg(path_)
                              .arg(size_)
                              .arg(info.size()));
}

QString SourceFile::sha256(const std::atomic<bool>* cancel) const {
    QFile file(path_);
    if (!file.open(QIODevice::ReadOnly))
        throw IngestError(IngestErrorCode::Unreadable,
                          QStringLiteral("%1 cannot be opened: %2").arg(path_, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray chunk(1 << 20, Qt::Uninitialized);
    qint64 total = 0;
    for (;;) {
        if (cancel && cancel->load()) throw_cancelled(name());
        const qint64 n = file.read(chunk.data(), chunk.size());
        if (n < 0)
            throw IngestError(IngestErrorCode::Unreadable,
                              QStringLiteral("%1: read error after %2 bytes: %3").arg(path_).arg(total).arg(file.errorString()));
        if (n == 0) break;
        hash.addData(QByteArrayView(chunk.constData(), n));
        total += n;
    }
    if (total != size_) check_unchanged();
    return QString::fromLatin1(hash.result().toHex());
}

void throw_cancelled(const QString& name) {
    throw IngestError(IngestErrorCode::Cancelled, QStringLiteral("reading %1 was cancelled").arg(name));
}

}  // namespace ingest
