// Text-layer PDFs: reading order across columns, line joining and hyphenation, running
// headers and footers, ligatures and titles.

#include "ingest/read_document.h"
#include "pdf_fixture.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest_test::PdfFixture;

class PdfLayoutTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

private slots:
    void readsTwoColumnsColumnByColumn() {
        const QString title = QStringLiteral("A Study of Column Reading");
        const QString left1 = QStringLiteral("The left column opens the argument with a long sentence that wraps over "
                                             "several lines so that the reader has to join them again.");
        const QString left2 = QStringLiteral("A second paragraph in the left column continues the thought and ends "
                                             "before the column does.");
        const QString right1 = QStringLiteral("The right column must come after the whole left column, never "
                                              "interleaved with it line by line, or the meaning is lost.");
        const QString right2 = QStringLiteral("Its last paragraph closes the page with one more short remark.");
        {
            PdfFixture pdf(path("columns.pdf"));
            pdf.set_font(20);
            pdf.centered_line(72, title);
            pdf.set_font(10);
            double y = pdf.paragraph(72, 120, 220, left1);
            pdf.paragraph(72, y + 12, 220, left2);
            y = pdf.paragraph(320, 120, 220, right1);
            pdf.paragraph(320, y + 12, 220, right2);
        }
        const auto doc = ingest::read_document(path("columns.pdf"));
        QCOMPARE(doc.pages.size(), size_t(1));
        QCOMPARE(doc.pages[0].text, QStringList({title, left1, left2, right1, right2}).join(QStringLiteral("\n\n")));
        QCOMPARE(doc.title, title);  // no metadata title: the largest line on page 1
        QCOMPARE(doc.kind, ingest::SourceKind::Pdf);
        QVERIFY(doc.warnings.isEmpty());
    }

    void joinsWrappedLinesAndResolvesHyphens() {
        {
            PdfFixture pdf(path("hyphens.pdf"));
            const char* lines[] = {"This is an exam-", "ple of a well-", "known rule in Post-", "Script and 2019-",
                                   "2020 data from a co-", "operative study of inter-", "national trade."};
            double y = 100;
            for (const char* l : lines) { pdf.line(72, y, QString::fromLatin1(l)); y += 12; }
            pdf.line(72, y + 14, QStringLiteral("The co-operative group met twice."));
        }
        const auto doc = ingest::read_document(path("hyphens.pdf"));
        QCOMPARE(doc.pages.at(0).text,
                 QStringLiteral("This is an example of a well-known rule in Post-Script and 2019-2020 data from a "
                                "co-operative study of international trade.\n\nThe co-operative group met twice."));
    }

    void completesWordHyphenatedAcrossPages() {
        {
            PdfFixture pdf(path("page_break.pdf"));
            for (int p = 1; p <= 3; ++p) {
                if (p > 1) pdf.new_page();
                pdf.centered_line(760, QString::number(p));
                pdf.line(72, 100, p == 1 ? QStringLiteral("The first page ends with an exam-")
                                 : p == 2 ? QStringLiteral("ple that continues on the second page, which ends in a")
                                          : QStringLiteral("Sentence that starts fresh."));
            }
        }
        const auto doc = ingest::read_document(path("page_break.pdf"));
        QCOMPARE(doc.pages.at(0).text, QStringLiteral("The first page ends with an example"));
        QCOMPARE(doc.pages.at(1).text, QStringLiteral("that continues on the second page, which ends in a"));
        QCOMPARE(doc.pages.at(2).text, QStringLiteral("Sentence that starts fresh."));
    }

    void dropsRunningHeadersFootersAndPageNumbers() {
        const int pages = 6;
        {
            PdfFixture pdf(path("headers.pdf"), QStringLiteral("Glimpse Test Manual"));
            for (int p = 1; p <= pages; ++p) {
                if (p > 1) pdf.new_page();
                pdf.set_font(9);
                pdf.centered_line(30, QStringLiteral("Glimpse Test Manual - Chapter One"));
                pdf.centered_line(750, QStringLiteral("Page %1 of %2").arg(p).arg(pages));
                pdf.set_font(10);
                QString body = QStringLiteral("Body of page %1 describes step %1 of the procedure.").arg(p);
                if (p == 4) body += QStringLiteral(" Here the lighthouse keeper turns the lamp.");
                pdf.paragraph(72, 100, 468, body);
            }
        }
        const auto doc = ingest::read_document(path("headers.pdf"));
        QCOMPARE(doc.pages.size(), size_t(pages));
        for (int p = 1; p <= pages; ++p) {
            QString body = QStringLiteral("Body of page %1 describes step %1 of the procedure.").arg(p);
            if (p == 4) body += QStringLiteral(" Here the lighthouse keeper turns the lamp.");
            QCOMPARE(doc.pages[p - 1].number, p);
            QCOMPARE(doc.pages[p - 1].text, body);
        }
        QCOMPARE(doc.page_of(QStringLiteral("lighthouse keeper")), 4);
        QCOMPARE(doc.title, QStringLiteral("Glimpse Test Manual"));  // from the metadata
        // The removal is reported, not silent.
        QCOMPARE(doc.warnings.size(), 1);
        QVERIFY2(doc.warnings[0].contains(QStringLiteral("12 running header/footer line(s)")), qPrintable(doc.warnings[0]));
    }

    void keepsTopLinesThatDoNotRepeat() {
        {
            PdfFixture pdf(path("chapter_heads.pdf"));
            for (int p = 1; p <= 5; ++p) {
                if (p > 1) pdf.new_page();
                pdf.line(72, 30, QStringLiteral("Section %1: %2").arg(p).arg(QStringList{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"}[p - 1]));
                pdf.paragraph(72, 100, 468, QStringLiteral("Text of section %1.").arg(p));
            }
        }
        const auto doc = ingest::read_document(path("chapter_heads.pdf"));
        QCOMPARE(doc.pages.at(2).text, QStringLiteral("Section 3: Gamma\n\nText of section 3."));
    }

    void readsJustifiedTwoColumnArticleAcrossPages() {
        // A journal-style article: running header and page number on every page, a spanning
        // title on page 1, justified two-column body text.
        auto paragraph_text = [](int page, int column, int index) {
            return QStringLiteral("Page %1 column %2 paragraph %3 discusses the harbour survey in careful detail, "
                                  "listing the tides, the winds and the boats that came and went during the season.")
                .arg(page).arg(column).arg(index);
        };
        const int pages = 4;
        {
            PdfFixture pdf(path("article.pdf"));
            for (int p = 1; p <= pages; ++p) {
                if (p > 1) pdf.new_page();
                pdf.set_font(8);
                pdf.centered_line(28, QStringLiteral("Journal of Harbour Studies 12 (2024)"));
                pdf.centered_line(760, QString::number(100 + p));
                double top = 80;
                if (p == 1) {
                    pdf.set_font(18);
                    pdf.centered_line(80, QStringLiteral("Tides of the Northern Harbour"));
                    top = 130;
                }
                pdf.set_font(10);
                for (int c = 0; c < 2; ++c) {
                    double y = top;
                    for (int i = 1; i <= 3; ++i)
                        y = pdf.justified_paragraph(72 + c * 246, y, 222, paragraph_text(p, c + 1, i)) + 10;
                }
            }
        }
        const auto doc = ingest::read_document(path("article.pdf"));
        QCOMPARE(doc.pages.size(), size_t(pages));
        for (int p = 1; p <= pages; ++p) {
            QStringList expected;
            if (p == 1) expected.append(QStringLiteral("Tides of the Northern Harbour"));
            for (int c = 1; c <= 2; ++c)
                for (int i = 1; i <= 3; ++i) expected.append(paragraph_text(p, c, i));
            QCOMPARE(doc.pages[p - 1].text, expected.join(QStringLiteral("\n\n")));
        }
        QCOMPARE(doc.title, QStringLiteral("Tides of the Northern Harbour"));
        QCOMPARE(doc.page_of(QStringLiteral("Page 3 column 2 paragraph 1 ")), 3);
    }

    void readsThreeColumns() {
        QStringList columns;
        for (int c = 1; c <= 3; ++c)
            columns.append(QStringLiteral("Column %1 holds a narrow paragraph that wraps over several short lines before "
                                          "the reader moves on to the next column to the right.").arg(c));
        {
            PdfFixture pdf(path("three.pdf"));
            for (int c = 0; c < 3; ++c) pdf.justified_paragraph(72 + c * 162, 120, 144, columns[c]);
        }
        const auto doc = ingest::read_document(path("three.pdf"));
        QCOMPARE(doc.pages.at(0).text, columns.join(QStringLiteral("\n\n")));
    }

    void readsTableRowByRow() {
        // Label and value columns are short cells, not text columns: each row stays together.
        const QList<QPair<QString, QString>> rows = {
            {QStringLiteral("Boiling point"), QStringLiteral("100 degrees")},
            {QStringLiteral("Melting point"), QStringLiteral("0 degrees")},
            {QStringLiteral("Density"), QStringLiteral("1000 kg per cubic metre")},
            {QStringLiteral("Molar mass"), QStringLiteral("18 grams")},
        };
        {
            PdfFixture pdf(path("table.pdf"));
            pdf.line(72, 100, QStringLiteral("Properties of water at sea level."));
            double y = 130;
            for (const auto& [label, value] : rows) {
                pdf.line(72, y, label);
                pdf.line(300, y, value);
                y += 12;
            }
        }
        const auto doc = ingest::read_document(path("table.pdf"));
        QStringList expected = {QStringLiteral("Properties of water at sea level.")};
        for (const auto& [label, value] : rows) expected.append(label + u' ' + value);
        QCOMPARE(doc.pages.at(0).text, expected.join(QStringLiteral("\n\n")));
    }

    void readsTextTurnedSideways_data() {
        QTest::addColumn<double>("degrees");
        QTest::newRow("clockwise") << 90.0;
        QTest::newRow("counter-clockwise") << 270.0;
        QTest::newRow("upside down") << 180.0;
    }
    void readsTextTurnedSideways() {
        QFETCH(double, degrees);
        const QStringList lines = {QStringLiteral("The landscape table was printed sideways"),
                                   QStringLiteral("so that its long rows would fit the page,"),
                                   QStringLiteral("and a reader turns the book to read it.")};
        {
            PdfFixture pdf(path("sideways.pdf"));
            pdf.turned_lines(306, 396, degrees, lines);
        }
        const auto doc = ingest::read_document(path("sideways.pdf"));
        QCOMPARE(doc.pages.at(0).text, lines.join(u' '));
    }

    void normalisesLigaturesAndSpaces() {
        {
            PdfFixture pdf(path("ligatures.pdf"));
            pdf.line(72, 100, QStringLiteral("The \uFB01nal of\uFB01ce \uFB02ow is 10\u00A0km long."));
        }
        const auto doc = ingest::read_document(path("ligatures.pdf"));
        QCOMPARE(doc.pages.at(0).text, QStringLiteral("The final office flow is 10 km long."));
    }
};

QTEST_MAIN(PdfLayoutTest)
#include "test_pdf_layout.moc"
