#pragma once
// The pages of a PDF as images, for showing a cited page as it looks on paper. Keeps the
// document open between pages; Poppler stays behind this interface.

#include <QImage>
#include <QSizeF>
#include <QString>

#include <memory>

namespace ingest {

class PdfPages {
public:
    // Opens `path`; a file that is not a readable PDF (gone, damaged, locked) gives an
    // object with no pages and error() saying why.
    explicit PdfPages(const QString& path);
    ~PdfPages();
    PdfPages(const PdfPages&) = delete;
    PdfPages& operator=(const PdfPages&) = delete;

    int count() const;
    const QString& error() const { return error_; }
    // Size in points of the page with this 1-based number, unrotated.
    QSizeF size(int number) const;
    // The page drawn at `dpi` (bounded to ~64 megapixels), or a null image.
    QImage render(int number, double dpi) const;

private:
    struct Poppler;
    std::unique_ptr<Poppler> pdf_;
    QString error_;
};

}  // namespace ingest
