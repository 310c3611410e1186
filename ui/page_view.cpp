#include "ui/page_view.h"

#include "ingest/pdf_pages.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QStackedWidget>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace glimpse::ui {
namespace {

// The QString position of a UTF-8 byte offset into `utf8`.
int position_of(const QByteArray& utf8, int byte) {
    return int(QString::fromUtf8(utf8.left(std::clamp(byte, 0, int(utf8.size())))).size());
}


}  // namespace

PageView::PageView(const DocumentInfo& document, int page, const QList<QPair<int, int>>& passages, QWidget* parent)
    : QDialog(parent), document_(document), citedPage_(page), passages_(passages) {
    setWindowTitle(document.title);
    text_ = new QTextBrowser;
    text_->setAccessibleName(tr("Page text"));
    image_ = new QLabel;
    image_->setAlignment(Qt::AlignCenter);
    image_->setAccessibleName(tr("Page"));
    scroll_ = new QScrollArea;
    scroll_->setWidget(image_);
    scroll_->setWidgetResizable(true);
    scroll_->setAlignment(Qt::AlignCenter);
    views_ = new QStackedWidget;
    views_->addWidget(scroll_);
    views_->addWidget(text_);

    caption_ = new QLabel;
    auto* previous = new QPushButton(tr("◀ Previous"));
    auto* next = new QPushButton(tr("Next ▶"));
    auto* zoomIn = new QPushButton(tr("Zoom in"));
    auto* zoomOut = new QPushButton(tr("Zoom out"));
    asText_ = new QPushButton(tr("Text"));
    asText_->setCheckable(true);
    asText_->setToolTip(tr("Show the page's text as Glimpse read it"));
    previous->setAccessibleName(tr("Previous page"));
    next->setAccessibleName(tr("Next page"));
    previous->setShortcut(QKeySequence::MoveToPreviousPage);
    next->setShortcut(QKeySequence::MoveToNextPage);
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    connect(previous, &QPushButton::clicked, this, [this] { showPage(current_ - 1); });
    connect(next, &QPushButton::clicked, this, [this] { showPage(current_ + 1); });
    connect(zoomIn, &QPushButton::clicked, this, [this] { setZoom(zoom_ * 1.25); });
    connect(zoomOut, &QPushButton::clicked, this, [this] { setZoom(zoom_ / 1.25); });
    connect(asText_, &QPushButton::toggled, this, [this](bool on) { views_->setCurrentIndex(on || !pdf_ ? 1 : 0); });
    auto* bar = new QHBoxLayout;
    bar->addWidget(previous);
    bar->addWidget(caption_, 1, Qt::AlignCenter);
    bar->addWidget(next);
    bar->addWidget(zoomOut);
    bar->addWidget(zoomIn);
    bar->addWidget(asText_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(views_, 1);
    resize(760, 900);

    if (document_.path.endsWith(".pdf", Qt::CaseInsensitive)) {
        pdf_ = std::make_unique<ingest::PdfPages>(document_.path);
        if (pdf_->count() == 0) {
            setToolTip(tr("Showing the text: %1").arg(pdf_->error()));
            pdf_.reset();
        }
    }
    asText_->setEnabled(pdf_ != nullptr);
    views_->setCurrentIndex(pdf_ ? 0 : 1);
    for (int i = 0; i < document_.pageTexts.size(); ++i)
        if (document_.pageTexts[i].number == page) current_ = i;
    showPage(current_);
}

PageView::~PageView() = default;

bool PageView::showsPdf() const { return pdf_ && views_->currentIndex() == 0; }

void PageView::setZoom(double zoom) {
    zoom_ = std::clamp(zoom, 0.25, 6.0);
    if (pdf_) drawPdfPage();
    else text_->setFont([&] { QFont f = font(); f.setPointSizeF(f.pointSizeF() * zoom_); return f; }());
}

void PageView::showPage(int index) {
    if (index < 0 || index >= document_.pageTexts.size()) return;
    current_ = index;
    const PageText& p = document_.pageTexts[index];
    caption_->setText(tr("Page %1 of %2").arg(p.number).arg(document_.pageTexts.size()));
    text_->setPlainText(p.text);
    marks_.clear();
    const bool cited = p.number == citedPage_;
    if (cited) {
        // The passages the answer drew on, marked in the text; the first one scrolled into view.
        const QByteArray utf8 = p.text.toUtf8();
        QTextCharFormat mark;
        mark.setBackground(QColor(255, 230, 120));
        for (const auto& [begin, end] : passages_) {
            QTextCursor cursor(text_->document());
            cursor.setPosition(position_of(utf8, begin));
            cursor.setPosition(position_of(utf8, end), QTextCursor::KeepAnchor);
            cursor.mergeCharFormat(mark);
        }
        if (!passages_.isEmpty()) {
            QTextCursor first(text_->document());
            first.setPosition(position_of(utf8, passages_.first().first));
            text_->setTextCursor(first);
            text_->ensureCursorVisible();
        }
        if (size_t(index) < document_.geometry.size()) {
            std::vector<std::pair<int, int>> ranges;
            for (const auto& [begin, end] : passages_) ranges.emplace_back(begin, end);
            for (const WordBox& b : boxes_in(document_.geometry[size_t(index)], ranges)) {
                const QRectF r(QPointF(b.left, b.top), QPointF(b.right, b.bottom));
                // Words next to each other on a line become one mark, as a reader's marker would draw it.
                if (!marks_.isEmpty()) {
                    QRectF& last = marks_.last();
                    const bool same_line = std::abs(last.center().y() - r.center().y()) < 0.5 * r.height();
                    if (same_line && r.left() >= last.left() && r.left() - last.right() < 1.5 * r.height()) {
                        last = last.united(r);
                        continue;
                    }
                }
                marks_.append(r);
            }
        }
    }
    if (pdf_) drawPdfPage();
}

void PageView::drawPdfPage() {
    const int number = document_.pageTexts.value(current_).number;
    const QSizeF points = pdf_->size(number);
    const double fitWidth = std::max(200, scroll_->viewport()->width() - 24);
    const double dpi = points.width() > 0 ? fitWidth / points.width() * 72.0 * zoom_ * devicePixelRatioF() : 96.0;
    QImage page = pdf_->render(number, dpi);
    if (page.isNull()) {
        image_->setText(tr("This page could not be drawn."));
        return;
    }
    const double scale = points.width() > 0 ? page.width() / points.width() : 1.0;
    {
        QPainter painter(&page);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(255, 200, 0, 95));
        painter.setCompositionMode(QPainter::CompositionMode_Multiply);   // the print stays black
        for (const QRectF& m : marks_) {
            const QRectF r(m.left() * scale, m.top() * scale, m.width() * scale, m.height() * scale);
            painter.drawRoundedRect(r.adjusted(-1.5 * scale, -0.8 * scale, 1.5 * scale, 0.8 * scale), 2 * scale, 2 * scale);
        }
    }
    page.setDevicePixelRatio(devicePixelRatioF());
    image_->setPixmap(QPixmap::fromImage(page));
    if (!marks_.isEmpty()) {
        const double y = marks_.first().top() * scale / devicePixelRatioF();
        scroll_->verticalScrollBar()->setValue(std::max(0, int(y) - scroll_->viewport()->height() / 3));
    }
}

void PageView::resizeEvent(QResizeEvent* event) {
    QDialog::resizeEvent(event);
    if (pdf_) drawPdfPage();
}

QStringList PageView::highlighted() const {
    QStringList out;
    if (page() != citedPage_) return out;
    const QByteArray utf8 = document_.pageTexts[current_].text.toUtf8();
    for (const auto& [begin, end] : passages_) out << QString::fromUtf8(utf8.mid(begin, end - begin));
    return out;
}

}  // namespace glimpse::ui
