#include "ui/page_view.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QVBoxLayout>

namespace glimpse::ui {
namespace {

// The QString position of a UTF-8 byte offset into `utf8`.
int position_of(const QByteArray& utf8, int byte) {
    return int(QString::fromUtf8(utf8.left(std::clamp(byte, 0, int(utf8.size())))).size());
}

}  // namespace

PageView::PageView(const QString& title, const QList<PageText>& pages, int page, const QList<QPair<int, int>>& passages,
                   QWidget* parent)
    : QDialog(parent), pages_(pages), cited_page_(page), passages_(passages) {
    setWindowTitle(title);
    text_ = new QTextBrowser;
    text_->setAccessibleName(tr("Page text"));
    caption_ = new QLabel;
    auto* previous = new QPushButton(tr("◀ Previous"));
    auto* next = new QPushButton(tr("Next ▶"));
    auto* zoomIn = new QPushButton(tr("Zoom in"));
    auto* zoomOut = new QPushButton(tr("Zoom out"));
    previous->setAccessibleName(tr("Previous page"));
    next->setAccessibleName(tr("Next page"));
    connect(previous, &QPushButton::clicked, this, [this] { show_page(current_ - 1); });
    connect(next, &QPushButton::clicked, this, [this] { show_page(current_ + 1); });
    connect(zoomIn, &QPushButton::clicked, text_, [this] { text_->zoomIn(2); });
    connect(zoomOut, &QPushButton::clicked, text_, [this] { text_->zoomOut(2); });
    auto* bar = new QHBoxLayout;
    bar->addWidget(previous);
    bar->addWidget(caption_, 1, Qt::AlignCenter);
    bar->addWidget(next);
    bar->addWidget(zoomOut);
    bar->addWidget(zoomIn);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(text_, 1);
    resize(720, 800);
    for (int i = 0; i < pages_.size(); ++i)
        if (pages_[i].number == page) current_ = i;
    show_page(current_);
}

void PageView::show_page(int index) {
    if (index < 0 || index >= pages_.size()) return;
    current_ = index;
    const PageText& p = pages_[index];
    caption_->setText(tr("Page %1 of %2").arg(p.number).arg(pages_.size()));
    text_->setPlainText(p.text);
    if (p.number != cited_page_) return;
    // The passages the answer drew on, highlighted; the first one scrolled into view.
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
}

QStringList PageView::highlighted() const {
    QStringList out;
    if (page() != cited_page_) return out;
    const QByteArray utf8 = pages_[current_].text.toUtf8();
    for (const auto& [begin, end] : passages_)
        out << QString::fromUtf8(utf8.mid(begin, end - begin));
    return out;
}

}  // namespace glimpse::ui
