#pragma once
// Builds real PDF files for the ingest tests with QPdfWriter: letter pages with the painter
// working in points (72 per inch), origin at the top-left corner of the page.

#include <QFont>
#include <QImage>
#include <QPainter>
#include <QPdfWriter>
#include <QString>
#include <QStringList>

#include <memory>

namespace ingest_test {

class PdfFixture {
public:
    explicit PdfFixture(const QString& path, const QString& title = {}) : writer_(path) {
        writer_.setResolution(72);
        writer_.setPageSize(QPageSize(QPageSize::Letter));
        writer_.setPageMargins(QMarginsF(0, 0, 0, 0));
        if (!title.isEmpty()) writer_.setTitle(title);
        painter_ = std::make_unique<QPainter>(&writer_);
        set_font(10);
    }
    ~PdfFixture() { finish(); }

    void set_font(int pixel_size, const QString& family = QStringLiteral("DejaVu Serif")) {
        QFont font(family);
        font.setPixelSize(pixel_size);
        painter_->setFont(font);
    }
    // One line of text whose box starts at (x, y).
    void line(double x, double y, const QString& text) {
        painter_->drawText(QRectF(x, y, 612 - x, 40), Qt::AlignLeft | Qt::AlignTop | Qt::TextSingleLine, text);
    }
    void centered_line(double y, const QString& text) {
        painter_->drawText(QRectF(0, y, 612, 40), Qt::AlignHCenter | Qt::AlignTop | Qt::TextSingleLine, text);
    }
    // A word-wrapped paragraph in a box of `width`; returns the y just below it.
    double paragraph(double x, double y, double width, const QString& text) {
        QRectF used;
        painter_->drawText(QRectF(x, y, width, 2000), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, text, &used);
        return used.bottom();
    }
    double justified_paragraph(double x, double y, double width, const QString& text) {
        QRectF used;
        painter_->drawText(QRectF(x, y, width, 2000), Qt::AlignJustify | Qt::AlignTop | Qt::TextWordWrap, text, &used);
        return used.bottom();
    }
    // Lines drawn turned by `degrees` around (x, y), as on a landscape table in a portrait book.
    void turned_lines(double x, double y, double degrees, const QStringList& lines) {
        painter_->save();
        painter_->translate(x, y);
        painter_->rotate(degrees);
        double offset = 0;
        for (const auto& text : lines) {
            painter_->drawText(QRectF(0, offset, 600, 40), Qt::AlignLeft | Qt::AlignTop | Qt::TextSingleLine, text);
            offset += 12;
        }
        painter_->restore();
    }
    void image(const QRectF& target, const QImage& picture) { painter_->drawImage(target, picture); }
    void new_page() { writer_.newPage(); }
    void finish() {
        if (painter_) painter_->end();
        painter_.reset();
    }

private:
    QPdfWriter writer_;
    std::unique_ptr<QPainter> painter_;
};

}  // namespace ingest_test
