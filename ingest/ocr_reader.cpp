#include "ingest/ocr_reader.h"

#include "ingest/text_cleaner.h"

#include <QDir>
#include <QFileInfo>

#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>
#include <tesseract/resultiterator.h>

namespace ingest {
namespace {

bool cancel_requested(void* flag, int) {
    return flag && static_cast<const std::atomic<bool>*>(flag)->load();
}

}  // namespace

OcrReader::OcrReader(const QString& language, const QString& tessdata_dir) {
    const QString file = language + QStringLiteral(".traineddata");
    if (!tessdata_dir.isEmpty() && !QFileInfo::exists(QDir(tessdata_dir).filePath(file))) {
        reason_ = QStringLiteral("Tesseract language data '%1' was not found in %2; install the Debian package "
                                 "tesseract-ocr-%3 or point the tessdata folder at it")
                      .arg(file, tessdata_dir, language);
        return;
    }
    auto api = std::make_unique<tesseract::TessBaseAPI>();
    const QByteArray dir = tessdata_dir.toLocal8Bit();
    const QByteArray lang = language.toLatin1();
    if (api->Init(tessdata_dir.isEmpty() ? nullptr : dir.constData(), lang.constData()) != 0) {
        reason_ = QStringLiteral("Tesseract could not load its language data '%1' (install the Debian package "
                                 "tesseract-ocr-%2, or set TESSDATA_PREFIX to the folder holding it)")
                      .arg(file, language);
        return;
    }
    api->SetPageSegMode(tesseract::PSM_AUTO);
    api_ = std::move(api);
}

OcrReader::~OcrReader() {
    if (api_) api_->End();
}

PageLayout OcrReader::read_page(const QImage& image, int dpi, QSizeF page_size, const std::atomic<bool>* cancel) {
    PageLayout layout;
    if (!api_) return layout;
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    api_->SetImage(gray.constBits(), gray.width(), gray.height(), 1, int(gray.bytesPerLine()));
    api_->SetSourceResolution(dpi);
    tesseract::ETEXT_DESC monitor;
    monitor.cancel = &cancel_requested;
    monitor.cancel_this = const_cast<std::atomic<bool>*>(cancel);
    if (api_->Recognize(&monitor) != 0 || (cancel && cancel->load())) {
        api_->Clear();
        return layout;
    }

    const double points_per_pixel = 72.0 / dpi;
    const double page_height = page_size.height() > 0 ? page_size.height() : gray.height() * points_per_pixel;
    auto points = [&](int left, int top, int right, int bottom) {
        return QRectF(QPointF(left * points_per_pixel, top * points_per_pixel),
                      QPointF(right * points_per_pixel, bottom * points_per_pixel));
    };
    // Word by word, opening a line at each line's first word: the lines give the text, the
    // words their boxes.
    std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
    if (it && !it->Empty(tesseract::RIL_WORD)) {
        bool in_kept_line = false;
        do {
            if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) {
                std::unique_ptr<char[]> text(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
                int left = 0, top = 0, right = 0, bottom = 0;
                it->BoundingBox(tesseract::RIL_TEXTLINE, &left, &top, &right, &bottom);
                LayoutLine line;
                line.paragraph_start = it->IsAtBeginningOf(tesseract::RIL_PARA);
                auto cleaned = clean_text(QString::fromUtf8(text.get()));
                layout.undecodable += cleaned.undecodable;
                line.text = cleaned.text.simplified();
                in_kept_line = !line.text.isEmpty();
                if (!in_kept_line) continue;
                const QRectF box = points(left, top, right, bottom);
                line.height = box.height();
                line.top = box.top();
                line.bottom = box.bottom();
                if (box.bottom() < kRunningBandFraction * page_height) line.band = PageBand::Top;
                else if (box.top() > (1 - kRunningBandFraction) * page_height) line.band = PageBand::Bottom;
                if (layout.lines.empty()) line.paragraph_start = true;
                layout.lines.push_back(std::move(line));
            }
            if (!in_kept_line) continue;
            std::unique_ptr<char[]> word(it->GetUTF8Text(tesseract::RIL_WORD));
            int left = 0, top = 0, right = 0, bottom = 0;
            it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
            layout.lines.back().words.add({QString::fromUtf8(word.get()), points(left, top, right, bottom), true});
        } while (it->Next(tesseract::RIL_WORD));
    }
    api_->Clear();
    return layout;
}

}  // namespace ingest
