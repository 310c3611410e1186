#pragma once
// The entry point: read a PDF, text or Markdown file into a Document. The kind of file is
// decided from its bytes, never from its extension.

#include "ingest/document.h"
#include "ingest/ingest_error.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <functional>

namespace ingest {

struct ReadOptions {
    bool ocr = true;                 // run Tesseract on pages without a text layer
    QByteArray password;             // for encrypted PDFs (tried as user and owner password)
    int ocr_dpi = 300;               // render resolution for OCR
    QString ocr_language = QStringLiteral("eng");
    QString tessdata_dir;            // empty: Tesseract's default search path
    qint64 max_file_bytes = qint64(2) << 30;  // 2 GiB: larger is refused, not attempted
    int max_pages = 20000;
    int text_page_chars = 3000;      // target size of a logical page in text files
};

struct Progress {
    int page = 0;        // pages finished so far (1..page_count)
    int page_count = 0;
    bool ocr = false;    // the page just finished went through OCR
};

using ProgressCallback = std::function<void(const Progress&)>;

// Throws IngestError. `cancel` is polled between pages and inside Poppler and Tesseract;
// raising it makes the call throw IngestErrorCode::Cancelled soon after.
Document read_document(const QString& path, const ReadOptions& options = {},
                       const ProgressCallback& progress = {},
                       const std::atomic<bool>* cancel = nullptr);

}  // namespace ingest
