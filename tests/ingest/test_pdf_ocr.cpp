// Pages without a text layer: read by Tesseract, or reported when OCR is off or unavailable.

#include "ingest/read_document.h"
#include "pdf_fixture.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest_test::PdfFixture;

namespace {

// A 300 dpi letter page with two lines of text drawn as pixels only.
QImage scanned_page() {
    QImage image(2550, 3300, QImage::Format_Grayscale8);
    image.fill(Qt::white);
    QPainter painter(&image);
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPixelSize(56);
    painter.setFont(font);
    painter.setPen(Qt::black);
    painter.drawText(QPointF(300, 600), QStringLiteral("Scanned letter from the archive"));
    painter.drawText(QPointF(300, 680), QStringLiteral("Dear reader the invoice is attached"));
    return image;
}

}  // namespace

class PdfOcrTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString mixed_;   // page 1 text layer, page 2 image only
    QString scanned_; // one image-only page

private slots:
    void initTestCase() {
        mixed_ = dir_.filePath(QStringLiteral("mixed.pdf"));
        scanned_ = dir_.filePath(QStringLiteral("scanned.pdf"));
        const QImage page = scanned_page();
        {
            PdfFixture pdf(mixed_);
            pdf.line(72, 100, QStringLiteral("Cover note with a text layer."));
            pdf.new_page();
            pdf.image(QRectF(0, 0, 612, 792), page);
        }
        {
            PdfFixture pdf(scanned_);
            pdf.image(QRectF(0, 0, 612, 792), page);
        }
    }

    void readsImageOnlyPageWithOcr() {
        QList<ingest::Progress> seen;
        const auto doc = ingest::read_document(mixed_, {}, [&](const ingest::Progress& p) { seen.append(p); });
        QCOMPARE(doc.pages.size(), size_t(2));
        QCOMPARE(doc.pages[0].text, QStringLiteral("Cover note with a text layer."));
        QVERIFY(!doc.pages[0].ocr);
        QVERIFY(doc.pages[1].ocr);
        QCOMPARE(doc.pages[1].text.simplified(),
                 QStringLiteral("Scanned letter from the archive Dear reader the invoice is attached"));
        QCOMPARE(doc.ocr_page_count, 1);
        QCOMPARE(doc.pages_needing_ocr, 1);
        QCOMPARE(doc.page_of(QStringLiteral("invoice")), 2);
        QCOMPARE(seen.size(), 2);
        QVERIFY(!seen[0].ocr);
        QVERIFY(seen[1].ocr);
        QVERIFY2(doc.warnings.isEmpty(), qPrintable(doc.warnings.join(u'\n')));

        // Tesseract's word boxes, in points: one per word, each on the line it was drawn on
        // (baselines at 600 and 680 px of 300 dpi: 144 and 163.2 points).
        const auto& page = doc.pages[1];
        QCOMPARE(page.size, QSizeF(612, 792));
        const QByteArray text = page.text.toUtf8();
        QStringList boxed;
        for (const auto& w : page.words) {
            const QString word = QString::fromUtf8(text.mid(w.begin, w.end - w.begin));
            boxed.append(word);
            const double baseline = boxed.size() <= 5 ? 144.0 : 163.2;
            QVERIFY2(w.box.top() < baseline && w.box.bottom() > baseline - 8 && w.box.bottom() < baseline + 5
                         && w.box.left() >= 71,
                     qPrintable(word));
        }
        QCOMPARE(boxed.join(u' '), page.text.simplified());
    }

    void warnsInsteadOfReadingWhenOcrIsOff() {
        ingest::ReadOptions options;
        options.ocr = false;
        const auto doc = ingest::read_document(mixed_, options);
        QCOMPARE(doc.pages.size(), size_t(2));
        QCOMPARE(doc.pages[1].text, QString());
        QCOMPARE(doc.ocr_page_count, 0);
        QCOMPARE(doc.pages_needing_ocr, 1);
        QCOMPARE(doc.warnings.size(), 1);
        QCOMPARE(doc.warnings[0], QStringLiteral("1 page(s) have no text layer and were not read because OCR is off: pages 2"));
    }

    void warnsClearlyWhenLanguageDataIsMissing() {
        QTemporaryDir empty_tessdata;
        ingest::ReadOptions options;
        options.tessdata_dir = empty_tessdata.path();
        const auto doc = ingest::read_document(mixed_, options);
        QCOMPARE(doc.pages[1].text, QString());
        QCOMPARE(doc.warnings.size(), 2);
        QVERIFY2(doc.warnings[0].contains(QStringLiteral("'eng.traineddata' was not found in ")), qPrintable(doc.warnings[0]));
        QVERIFY(doc.warnings[0].contains(QStringLiteral("tesseract-ocr-eng")));
        QVERIFY2(doc.warnings[1].contains(QStringLiteral("OCR is unavailable: pages 2")), qPrintable(doc.warnings[1]));
    }

    void scannedPdfWithOcrOffIsAnError() {
        ingest::ReadOptions options;
        options.ocr = false;
        try {
            ingest::read_document(scanned_, options);
            QFAIL("expected an IngestError");
        } catch (const ingest::IngestError& e) {
            QCOMPARE(e.code(), ingest::IngestErrorCode::NoText);
            QCOMPARE(e.message(), scanned_ + QStringLiteral(" contains no text on any of its 1 page(s): its pages are "
                                                            "images without a text layer (a scan) and OCR is off; turn OCR on to read them"));
        }
    }

    void cancelDuringOcrStops() {
        std::atomic<bool> cancel{false};
        try {
            // Raised once the text page is done: the OCR page must not complete.
            ingest::read_document(mixed_, {}, [&](const ingest::Progress& p) { if (p.page == 1) cancel = true; }, &cancel);
            QFAIL("expected cancellation");
        } catch (const ingest::IngestError& e) {
            QCOMPARE(e.code(), ingest::IngestErrorCode::Cancelled);
            QCOMPARE(e.message(), QStringLiteral("reading mixed.pdf was cancelled"));
        }
    }
};

QTEST_MAIN(PdfOcrTest)
#include "test_pdf_ocr.moc"
