#include "ingest/read_document.h"

#include "ingest/file_sniffer.h"
#include "ingest/pdf_reader.h"
#include "ingest/source_file.h"
#include "ingest/text_decoding.h"
#include "ingest/text_reader.h"

#include <QFile>
#include <QFileInfo>

namespace ingest {
namespace {

QString format_bytes(qint64 bytes) {
    if (bytes >= (qint64(1) << 30)) return QStringLiteral("%1 GiB").arg(double(bytes) / (qint64(1) << 30), 0, 'f', 1);
    if (bytes >= (1 << 20)) return QStringLiteral("%1 MiB").arg(double(bytes) / (1 << 20), 0, 'f', 1);
    return QStringLiteral("%1 bytes").arg(bytes);
}

void check_plausible(const QString& path, const SourceFile& file, const ReadOptions& options) {
    QFileInfo info(path);
    if (info.isDir())
        throw IngestError(IngestErrorCode::WrongFormat, QStringLiteral("%1 is a folder, not a file; choose the files inside it").arg(path));
    if (!info.isReadable())
        throw IngestError(IngestErrorCode::Unreadable,
                          QStringLiteral("%1 cannot be read: permission denied; check the file's permissions").arg(path));
    if (file.size() == 0)
        throw IngestError(IngestErrorCode::Empty,
                          QStringLiteral("%1 is empty (0 bytes); it may not have finished downloading or saving").arg(path));
    if (file.size() > options.max_file_bytes)
        throw IngestError(IngestErrorCode::TooLarge,
                          QStringLiteral("%1 is %2, larger than the %3 limit; split it into smaller files")
                              .arg(path, format_bytes(file.size()), format_bytes(options.max_file_bytes)));
}

QByteArray read_head(const SourceFile& file) {
    QFile f(file.path());
    if (!f.open(QIODevice::ReadOnly))
        throw IngestError(IngestErrorCode::Unreadable, QStringLiteral("%1 cannot be opened: %2").arg(file.path(), f.errorString()));
    return f.read(8192);
}

}  // namespace

Document read_document(const QString& path, const ReadOptions& options, const ProgressCallback& progress,
                       const std::atomic<bool>* cancel) {
    const SourceFile file(path);
    check_plausible(path, file, options);

    SniffResult sniffed = sniff_content(read_head(file));
    if (sniffed.kind == SniffedKind::Other) {
        // Only a name that promises a readable format is worth contradicting.
        const QString suffix = QFileInfo(path).suffix().toLower();
        static const QStringList readable_suffixes = {"pdf", "txt", "text", "md", "markdown"};
        const QString despite = readable_suffixes.contains(suffix)
                                    ? QStringLiteral(" (despite its .%1 name)").arg(suffix) : QString();
        const QString advice = sniffed.description.contains(QStringLiteral("compressed"))
                                   ? QStringLiteral("decompress it first") : QStringLiteral("convert it to PDF first");
        throw IngestError(IngestErrorCode::WrongFormat,
                          QStringLiteral("%1 is %2%3, not a PDF or a text file. Glimpse reads PDF, plain-text and "
                                         "Markdown files; %4")
                              .arg(path, sniffed.description, despite, advice));
    }

    Document doc;
    doc.source_path = file.path();
    doc.fingerprint = file.sha256(cancel);
    if (sniffed.kind == SniffedKind::Pdf) {
        doc.kind = SourceKind::Pdf;
        read_pdf(file, options, progress, cancel, doc);
    } else {
        const QString suffix = QFileInfo(path).suffix().toLower();
        if (suffix == u"pdf")
            doc.warnings.append(QStringLiteral("%1 is named .pdf but holds plain text; it was read as text").arg(file.name()));
        read_text(file, options, progress, cancel, doc);
    }
    file.check_unchanged();
    if (doc.title.isEmpty()) doc.title = QFileInfo(path).completeBaseName();
    return doc;
}

}  // namespace ingest
