#pragma once
// Reads the words on a rendered page image with Tesseract, keeping Tesseract's own lines
// and paragraphs (it does its own column analysis on images).

#include "ingest/page_layout.h"

#include <QImage>
#include <QString>

#include <atomic>
#include <memory>

namespace tesseract { class TessBaseAPI; }

namespace ingest {

class OcrReader {
public:
    // Loads the language data once; never throws. Check available() before use.
    OcrReader(const QString& language, const QString& tessdata_dir);
    ~OcrReader();
    OcrReader(const OcrReader&) = delete;
    OcrReader& operator=(const OcrReader&) = delete;

    bool available() const { return api_ != nullptr; }
    QString unavailable_reason() const { return reason_; }

    // `image` is grayscale at `dpi`; `page_size` is in points. Returns an empty layout when
    // cancelled (the caller checks its flag).
    PageLayout read_page(const QImage& image, int dpi, QSizeF page_size, const std::atomic<bool>* cancel);

private:
    std::unique_ptr<tesseract::TessBaseAPI> api_;
    QString reason_;
};

}  // namespace ingest
