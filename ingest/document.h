#pragma once
// What ingest hands to the rest of Glimpse: a document as numbered pages of clean text,
// with enough provenance (source path, fingerprint) to cite pages and to recognise the
// same file again.

#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QStringList>

#include <vector>

namespace ingest {

// Where a word of the page text sits on the page, for highlighting a passage.
struct WordBox {
    QRectF box;     // points, origin top-left, on the page as Poppler renders it unrotated (Rotate0)
    int begin = 0;  // UTF-8 byte range of this word in page.text.toUtf8()
    int end = 0;
};

struct Page {
    int number = 0;  // 1-based, as printed by a PDF viewer (or the logical page of a text file)
    QString text;    // paragraphs separated by a blank line
    bool ocr = false;  // text came from Tesseract, not from a text layer
    QSizeF size;                  // points, as rendered unrotated; empty for text files
    std::vector<WordBox> words;   // in reading order of `text`; empty for text files
};

enum class SourceKind { Pdf, PlainText, Markdown };

struct Document {
    QString title;
    QString author;
    QString source_path;      // absolute path of the file that was read
    SourceKind kind = SourceKind::PlainText;
    std::vector<Page> pages;
    QStringList warnings;     // things a person should know: missing OCR, guessed encoding...
    int ocr_page_count = 0;   // pages whose text came from OCR
    int pages_needing_ocr = 0;  // pages without a text layer (read by OCR or left empty)
    QString fingerprint;      // SHA-256 of the file bytes, lowercase hex

    qsizetype character_count() const {
        qsizetype n = 0;
        for (const auto& p : pages) n += p.text.size();
        return n;
    }
    // The 1-based page number of the first page containing `phrase`, or 0 if none does.
    int page_of(const QString& phrase) const {
        for (const auto& p : pages)
            if (p.text.contains(phrase)) return p.number;
        return 0;
    }
};

}  // namespace ingest
