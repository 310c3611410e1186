// Word boxes on real PDFs: every box stored for a page covers, on the page Poppler renders
// unrotated, exactly the word its byte range names in the page text — across two columns, a
// word hyphenated over two lines, running headers left out of the text, ligatures, and a
// page whose text runs sideways.

#include "ingest/read_document.h"
#include "ingest/word_alignment.h"
#include "pdf_fixture.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <poppler-qt6.h>

using ingest_test::PdfFixture;

namespace {

QString range_text(const ingest::Page& page, const ingest::WordBox& w) {
    return QString::fromUtf8(page.text.toUtf8().mid(w.begin, w.end - w.begin));
}

struct Coverage {
    int words = 0;    // Poppler's words on the page, with text
    int boxed = 0;    // of them, those with a box in the page's geometry
};

using Corner = std::pair<float, float>;  // top-left, as ingest keeps it (floats)
Corner corner_of(const QRectF& box) { return {float(box.left()), float(box.top())}; }

// Checks every box of every page against the word Poppler reads in that box on the unturned
// page; returns the coverage of Poppler's words by boxes.
std::vector<Coverage> check_boxes(const QString& path, const ingest::Document& doc) {
    std::vector<Coverage> coverage;
    auto pdf = Poppler::Document::load(path);
    if (!pdf) { qWarning("Poppler cannot open %s", qPrintable(path)); return coverage; }
    for (const auto& page : doc.pages) {
        auto poppler_page = pdf->page(page.number - 1);
        const QSizeF size = poppler_page->pageSizeF();
        if (std::abs(page.size.width() - size.width()) > 0.01 || std::abs(page.size.height() - size.height()) > 0.01) {
            qWarning("page %d: size %gx%g, Poppler says %gx%g", page.number, page.size.width(), page.size.height(),
                     size.width(), size.height());
            return {};
        }
        QHash<Corner, QString> poppler_words;
        Coverage c;
        for (const auto& box : poppler_page->textList()) {
            const QString text = ingest::normalised_word(box->text());
            if (text.isEmpty()) continue;
            ++c.words;
            poppler_words.insert(corner_of(box->boundingBox()), text);
        }
        const int bytes = int(page.text.toUtf8().size());
        for (size_t i = 0; i < page.words.size(); ++i) {
            const auto& w = page.words[i];
            const QRectF& b = w.box;
            // Text may run past the page's edge (a long code line), not far past it.
            const QRectF near_page(QPointF(-size.width(), -size.height()), 3 * size);
            if (w.begin < 0 || w.end <= w.begin || w.end > bytes || b.isEmpty() || !near_page.contains(b)) {
                qWarning("page %d: box %zu (%g,%g %gx%g) or range [%d,%d) out of bounds", page.number, i, b.left(),
                         b.top(), b.width(), b.height(), w.begin, w.end);
                return {};
            }
            QString in_box = poppler_words.value(corner_of(b), QStringLiteral("(no word here)"));
            if (!poppler_words.contains(corner_of(b)))  // a turned page's box, turned back, may differ in the last bits
                for (auto it = poppler_words.cbegin(); it != poppler_words.cend(); ++it)
                    if (std::abs(it.key().first - b.left()) < 0.01 && std::abs(it.key().second - b.top()) < 0.01)
                        in_box = it.value();
            const QString in_text = range_text(page, w);
            // The halves of a word broken at a line end cover the joined word: the head its
            // start (also when the tail went on to the next page), the tail a part after it.
            const bool head = in_box.size() > 1 && (in_box.endsWith(u'-') || in_box.endsWith(QChar(0x2010)));
            const bool tail = i > 0 && page.words[i - 1].begin == w.begin;
            const bool ok = in_box == in_text || (head && in_text.startsWith(in_box.chopped(1)))
                         || (tail && in_text.lastIndexOf(in_box) > 0);
            if (!ok) {
                qWarning("page %d: box %zu holds \"%s\" but its range [%d,%d) is \"%s\"", page.number, i,
                         qPrintable(in_box), w.begin, w.end, qPrintable(in_text));
                return {};
            }
        }
        c.boxed = int(page.words.size());
        coverage.push_back(c);
    }
    return coverage;
}

double share(const Coverage& c) { return c.words ? double(c.boxed) / c.words : 1.0; }

}  // namespace

class WordBoxesTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

private slots:
    void boxesFollowTwoColumnsHeadersAndHyphens() {
        const QString header = QStringLiteral("Journal of Column Studies");
        const QString left = QStringLiteral("The left column opens the argument with a long sentence that wraps "
                                            "over several lines, so that the reader has to join them again; a "
                                            "ﬁne ligature and an oﬃce appear in it.");
        const QString right = QStringLiteral("The right column comes after the whole left column and must never be "
                                             "interleaved with it line by line, or the meaning of both is lost.");
        {
            PdfFixture pdf(path("columns.pdf"));
            for (int p = 1; p <= 3; ++p) {
                if (p > 1) pdf.new_page();
                pdf.centered_line(40, header);
                pdf.centered_line(750, QString::number(p));
                double y = pdf.paragraph(72, 120, 220, left);
                y = pdf.paragraph(72, y + 12, 220, left);
                pdf.paragraph(72, y + 12, 220, left);
                y = pdf.paragraph(320, 120, 220, right);
                y = pdf.paragraph(320, y + 12, 220, right);
                pdf.paragraph(320, y + 12, 220, right);
                // A word hyphenated across two lines.
                pdf.line(72, 400, QStringLiteral("A last remark gives an exam-"));
                pdf.line(72, 412, QStringLiteral("ple of a well-"));
                pdf.line(72, 424, QStringLiteral("known rule."));
            }
        }
        const auto doc = ingest::read_document(path("columns.pdf"));
        QCOMPARE(doc.pages.size(), size_t(3));
        const auto coverage = check_boxes(path("columns.pdf"), doc);
        QCOMPARE(coverage.size(), size_t(3));
        for (const auto& page : doc.pages) {
            QVERIFY(!page.text.contains(header));  // the running header is gone from the text...
            QVERIFY(page.text.contains(QStringLiteral("an example of a well-known rule.")));
            QVERIFY(page.text.contains(QStringLiteral("fine ligature and an office")));
            QCOMPARE(page.size, QSizeF(612, 792));
            // ...and has no box: no box sits in the top band where it was drawn.
            for (const auto& w : page.words) QVERIFY2(w.box.top() > 60, qPrintable(range_text(page, w)));
            // Boxes follow the text: a box of the right column comes after every box of the left one.
            const int right_begin = int(page.text.toUtf8().indexOf(right.left(20).toUtf8()));
            QVERIFY(right_begin > 0);
            for (const auto& w : page.words)
                if (w.box.top() < 380) QCOMPARE(w.begin >= right_begin, w.box.left() > 300);
            // "exam-" and "ple" both cover "example"; "well-" and "known" both "well-known".
            std::vector<QString> joined;
            for (size_t i = 1; i < page.words.size(); ++i)
                if (page.words[i].begin == page.words[i - 1].begin) joined.push_back(range_text(page, page.words[i]));
            QCOMPARE(joined, std::vector<QString>({QStringLiteral("example"), QStringLiteral("well-known")}));
        }
        // Every word of Poppler's but the header's four and the page number.
        for (const auto& c : coverage)
            QVERIFY2(c.boxed == c.words - 5 && share(c) >= 0.95, qPrintable(QStringLiteral("%1 of %2").arg(c.boxed).arg(c.words)));
    }

    void boxesOfASidewaysPageAreOnTheUnturnedPage() {
        const QStringList lines = {QStringLiteral("Quarterly totals by region and product line"),
                                   QStringLiteral("North region sold eleven thousand units"),
                                   QStringLiteral("South region sold nine thousand units")};
        {
            PdfFixture pdf(path("sideways.pdf"));
            pdf.turned_lines(300, 100, 90, lines);
        }
        const auto doc = ingest::read_document(path("sideways.pdf"));
        QCOMPARE(doc.pages.size(), size_t(1));
        const auto& page = doc.pages[0];
        QVERIFY2(page.text.startsWith(lines[0]), qPrintable(page.text));
        const auto coverage = check_boxes(path("sideways.pdf"), doc);
        QCOMPARE(coverage.size(), size_t(1));
        QCOMPARE(coverage[0].boxed, coverage[0].words);
        // Turned 90 degrees about (300, 100): the lines run down the page, leftwards of x = 300.
        for (const auto& w : page.words) {
            QVERIFY(w.box.height() > w.box.width() || range_text(page, w).size() <= 2);
            QVERIFY(w.box.left() > 300 - 3 * 12 - 2 && w.box.right() < 300 + 2 && w.box.top() > 100 - 2);
        }
    }

    void alignsWordsToChangedText() {
        // Direct: a word whose line went (no box), a word found out of order, a repeated
        // short word out of place (no box rather than a guess).
        const QString text = QStringLiteral("alpha beta gamma\n\ndelta epsilon the");
        auto word = [](const char* t) { return ingest::PositionedWord{QString::fromUtf8(t), QRectF(0, 0, 10, 10), true}; };
        const auto boxes = ingest::align_words(
            text, {word("delta"), word("epsilon"), word("Header"), word("alpha"), word("beta"), word("the"), word("gamma")});
        std::vector<QString> found;
        for (const auto& b : boxes) found.push_back(text.toUtf8().mid(b.begin, b.end - b.begin));
        // "the" is not where the order says and only as a part of nothing else: it is unique, so kept.
        QCOMPARE(found, std::vector<QString>({"delta", "epsilon", "alpha", "beta", "the", "gamma"}));
        const auto twice = ingest::align_words(QStringLiteral("a cat and a dog"), {word("dog"), word("x"), word("a")});
        QCOMPARE(twice.size(), size_t(1));  // "a" out of place occurs twice: no box
    }

    void reportsCoverageOnADebianManual() {
        const QStringList candidates = {QStringLiteral("/usr/share/doc/valgrind/valgrind_manual.pdf.gz"),
                                        QStringLiteral("/usr/share/doc/zlib1g-dev/crc-doc.1.0.pdf.gz")};
        QString source;
        for (const auto& c : candidates)
            if (QFileInfo::exists(c)) { source = c; break; }
        if (source.isEmpty()) QSKIP("no Debian PDF manual installed");
        QProcess gunzip;
        gunzip.setStandardOutputFile(path("manual.pdf"));
        gunzip.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), source});
        QVERIFY(gunzip.waitForFinished(60000) && gunzip.exitCode() == 0);
        ingest::ReadOptions options;
        options.ocr = false;
        const auto doc = ingest::read_document(path("manual.pdf"), options);
        const auto coverage = check_boxes(path("manual.pdf"), doc);
        QCOMPARE(coverage.size(), doc.pages.size());
        Coverage total;
        for (const auto& c : coverage) { total.words += c.words; total.boxed += c.boxed; }
        qInfo("%s: %d pages, %d of %d words boxed (%.1f%%; running headers have none)", qPrintable(source),
              int(doc.pages.size()), total.boxed, total.words, 100.0 * share(total));
        QVERIFY(share(total) >= 0.9);
    }
};

QTEST_MAIN(WordBoxesTest)
#include "test_word_boxes.moc"
