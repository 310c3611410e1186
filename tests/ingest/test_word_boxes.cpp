// Word boxes of PDF pages, aligned to the clean text: every box's text is the word drawn
// there, columns, hyphenated words, running headers and turned pages included; a word left
// out of the text (a header, a page number) gets no box; plain pages have nearly every word
// boxed; text files have none.

#include "ingest/read_document.h"
#include "pdf_fixture.h"

#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest_test::PdfFixture;

namespace {

QString text_of(const ingest::Page& page, const ingest::WordBox& w) {
    return QString::fromUtf8(page.text.toUtf8().mid(w.begin, w.end - w.begin));
}

// The box of the first boxed word equal to `word`, or an empty rectangle.
QRectF box_of(const ingest::Page& page, const QString& word) {
    for (const auto& w : page.words)
        if (text_of(page, w) == word) return w.box;
    return {};
}

int word_count(const QString& text) { return int(text.split(QRegularExpression("\\s+"), Qt::SkipEmptyParts).size()); }

}  // namespace

class WordBoxesTest : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

private slots:
    void boxes_follow_columns_and_skip_headers() {
        const QString left = QStringLiteral("The keeper climbed one hundred and twelve steps every evening with the "
                                            "oil for the lamp, and logged the weather in a careful hand.");
        const QString right = QStringLiteral("Visitors reach the tower by the causeway; the entrance code for night "
                                             "tours is PELICAN-47 and tours leave from the oil store.");
        {
            PdfFixture pdf(path("columns.pdf"));
            for (int p = 0; p < 3; ++p) {
                if (p > 0) pdf.new_page();
                pdf.set_font(9);
                pdf.centered_line(30, QStringLiteral("Harbor Light Field Report"));   // a running header
                pdf.centered_line(750, QString::number(p + 1));                       // a page number
                pdf.set_font(10);
                pdf.paragraph(72, 120, 220, left);
                pdf.paragraph(320, 120, 220, right);
            }
        }
        const auto doc = ingest::read_document(path("columns.pdf"));
        QCOMPARE(doc.pages.size(), size_t(3));
        for (const auto& page : doc.pages) {
            QVERIFY(page.size.width() > 600 && page.size.height() > 780);   // letter, in points
            QVERIFY(!page.text.contains("Field Report"));                   // the header was left out...
            for (const auto& w : page.words) {
                QVERIFY2(w.box.top() > 60, qPrintable(text_of(page, w)));    // ...and has no box
                QVERIFY(w.box.bottom() < 740);                               // nor has the page number
                QVERIFY(QRectF(QPointF(0, 0), page.size).contains(w.box));
                const QString t = text_of(page, w);
                QVERIFY2(!t.isEmpty() && !t.contains(' '), qPrintable(t));
            }
            QVERIFY2(page.words.size() >= size_t(0.95 * word_count(page.text)),
                     qPrintable(QString("%1 boxes for %2 words").arg(page.words.size()).arg(word_count(page.text))));
            const QRectF code = box_of(page, "PELICAN-47");
            QVERIFY(code.isValid());
            QVERIFY(code.left() > 306);   // in the right column
            QVERIFY(box_of(page, "keeper").right() < 306);
        }
    }

    void a_hyphenated_word_is_boxed_in_both_halves() {
        {
            PdfFixture pdf(path("hyphen.pdf"));
            pdf.line(72, 100, QStringLiteral("The survey measured the light's visi-"));
            pdf.line(72, 114, QStringLiteral("bility at sea on every clear night."));
        }
        const auto doc = ingest::read_document(path("hyphen.pdf"));
        const auto& page = doc.pages.at(0);
        QVERIFY2(page.text.contains("visibility"), qPrintable(page.text));
        int halves = 0;
        for (const auto& w : page.words) {
            const QString t = text_of(page, w);
            if (t == "visi" || t == "bility") {
                ++halves;
                QVERIFY(page.text.toUtf8().mid(0, w.begin).endsWith(t == "visi" ? "light's " : "visi"));
            }
        }
        QCOMPARE(halves, 2);
    }

    void a_turned_page_keeps_boxes_where_the_words_are_drawn() {
        const QStringList lines = {QStringLiteral("The landscape table was printed sideways"),
                                   QStringLiteral("so that its long rows would fit the page.")};
        {
            PdfFixture pdf(path("sideways.pdf"));
            pdf.turned_lines(306, 396, 90.0, lines);
        }
        const auto doc = ingest::read_document(path("sideways.pdf"));
        const auto& page = doc.pages.at(0);
        QVERIFY(page.words.size() >= 14);
        // Turned 90 degrees clockwise around (306, 396): the words run down the page, left of x = 306.
        const QRectF first = box_of(page, "landscape"), last = box_of(page, "sideways");
        QVERIFY(first.isValid() && last.isValid());
        QVERIFY2(last.top() > first.top() && std::abs(last.center().x() - first.center().x()) < 5,
                 qPrintable(QString("%1,%2 then %3,%4").arg(first.x()).arg(first.y()).arg(last.x()).arg(last.y())));
        QVERIFY(first.height() > first.width());   // a turned word is taller than wide
    }

    void text_files_have_no_boxes() {
        QFile f(path("notes.txt"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Plain notes without a page to draw.\n");
        f.close();
        const auto doc = ingest::read_document(path("notes.txt"));
        QVERIFY(doc.pages.at(0).words.empty());
        QVERIFY(doc.pages.at(0).size.isEmpty());
    }
};

QTEST_MAIN(WordBoxesTest)
#include "test_word_boxes.moc"
