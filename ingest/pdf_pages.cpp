#include "ingest/pdf_pages.h"

#include <QFileInfo>

#include <poppler-qt6.h>

#include <algorithm>
#include <cmath>

namespace ingest {

struct PdfPages::Poppler {
    std::unique_ptr<::Poppler::Document> document;
};

PdfPages::PdfPages(const QString& path) : pdf_(std::make_unique<Poppler>()) {
    if (!QFileInfo::exists(path)) {
        error_ = QStringLiteral("%1 is no longer there").arg(path);
        return;
    }
    pdf_->document = ::Poppler::Document::load(path);
    if (!pdf_->document) {
        error_ = QStringLiteral("%1 cannot be read as a PDF").arg(path);
    } else if (pdf_->document->isLocked()) {
        error_ = QStringLiteral("%1 is password-protected").arg(path);
        pdf_->document.reset();
    } else {
        pdf_->document->setRenderHint(::Poppler::Document::Antialiasing);
        pdf_->document->setRenderHint(::Poppler::Document::TextAntialiasing);
    }
}

PdfPages::~PdfPages() = default;

int PdfPages::count() const { return pdf_->document ? pdf_->document->numPages() : 0; }

QSizeF PdfPages::size(int number) const {
    if (number < 1 || number > count()) return {};
    const auto page = pdf_->document->page(number - 1);
    return page ? page->pageSizeF() : QSizeF();
}

QImage PdfPages::render(int number, double dpi) const {
    if (number < 1 || number > count()) return {};
    const auto page = pdf_->document->page(number - 1);
    if (!page) return {};
    const QSizeF points = page->pageSizeF();
    constexpr double kMaxPixels = 64e6;
    const double pixels = points.width() * points.height() * (dpi / 72.0) * (dpi / 72.0);
    if (pixels > kMaxPixels) dpi *= std::sqrt(kMaxPixels / pixels);
    return page->renderToImage(dpi, dpi);
}

}  // namespace ingest
