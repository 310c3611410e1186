#pragma once
// One page of a document with the passages an answer drew on highlighted; previous and
// next page, zoom. The passages are UTF-8 byte ranges of the page's text.

#include "ui/engine_values.h"

#include <QDialog>

class QLabel;
class QTextBrowser;

namespace glimpse::ui {

class PageView : public QDialog {
    Q_OBJECT

public:
    PageView(const QString& title, const QList<PageText>& pages, int page, const QList<QPair<int, int>>& passages,
             QWidget* parent = nullptr);

    int page() const { return pages_.value(current_).number; }
    QTextBrowser* text() const { return text_; }
    // The highlighted stretches, as the reader sees them.
    QStringList highlighted() const;

private:
    void show_page(int index);

    QList<PageText> pages_;
    int current_ = 0;
    int cited_page_ = 0;
    QList<QPair<int, int>> passages_;
    QTextBrowser* text_ = nullptr;
    QLabel* caption_ = nullptr;
};

}  // namespace glimpse::ui
