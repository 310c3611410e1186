#pragma once
// One page of a document with the passages an answer drew on highlighted; previous and
// next page, zoom. A PDF that is still where it was read from is shown as it looks on paper
// (drawn by Poppler, the passages marked from the page's word boxes); otherwise, or on
// request, the page's text is shown with the passages marked. Passages are UTF-8 byte
// ranges of the page's text.

#include "ui/engine_values.h"

#include <QDialog>

#include <memory>

class QLabel;
class QPushButton;
class QScrollArea;
class QStackedWidget;
class QTextBrowser;

namespace ingest {
class PdfPages;
}

namespace glimpse::ui {

class PageView : public QDialog {
    Q_OBJECT

public:
    PageView(const DocumentInfo& document, int page, const QList<QPair<int, int>>& passages, QWidget* parent = nullptr);
    ~PageView() override;

    int page() const { return document_.pageTexts.value(current_).number; }
    QTextBrowser* text() const { return text_; }
    // The page is drawn from the PDF (not shown as text).
    bool showsPdf() const;
    // The highlighted stretches, as the reader sees them.
    QStringList highlighted() const;
    // The marks drawn on the PDF page, in points.
    const QList<QRectF>& marks() const { return marks_; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showPage(int index);
    void drawPdfPage();
    void setZoom(double zoom);

    DocumentInfo document_;
    int current_ = 0;
    int citedPage_ = 0;
    QList<QPair<int, int>> passages_;
    std::unique_ptr<ingest::PdfPages> pdf_;
    double zoom_ = 1.0;   // 1: the page fits the width of the view
    QList<QRectF> marks_;
    QStackedWidget* views_ = nullptr;
    QScrollArea* scroll_ = nullptr;
    QLabel* image_ = nullptr;
    QTextBrowser* text_ = nullptr;
    QLabel* caption_ = nullptr;
    QPushButton* asText_ = nullptr;
};

}  // namespace glimpse::ui
