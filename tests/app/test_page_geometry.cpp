// Page geometry from ingest to what a page view highlights: a real PDF's pages keep their
// size and word boxes, pages the prompt leaves out take their geometry with them, a text
// file has none, and boxes_in picks the words a passage's byte ranges touch.

#include "core/page_geometry.h"
#include "core/prompt_document_of.h"
#include "ingest/pdf_fixture.h"
#include "ingest/read_document.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using glimpse::PageGeometry;
using glimpse::WordBox;

namespace {

std::string words_of(const std::string& text, const std::vector<WordBox>& boxes) {
    std::string out;
    for (const auto& b : boxes) out += (out.empty() ? "" : " ") + text.substr(size_t(b.begin), size_t(b.end - b.begin));
    return out;
}

}  // namespace

class PageGeometryTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

private slots:
    void pdfPagesKeepSizeAndBoxesThroughToTheStoredDocument() {
        const QString path = dir_.filePath(QStringLiteral("three.pdf"));
        {
            ingest_test::PdfFixture pdf(path);
            pdf.line(72, 100, QStringLiteral("The harbour opens at dawn."));
            pdf.new_page();  // blank: the prompt leaves it out
            pdf.new_page();
            pdf.line(72, 200, QStringLiteral("Boats leave at noon."));
        }
        const auto doc = ingest::read_document(path);
        const auto geometry = glimpse::page_geometry_of(doc);
        QCOMPARE(geometry.size(), size_t(3));
        QCOMPARE(geometry[0].width, 612.0f);
        QCOMPARE(geometry[0].height, 792.0f);
        QCOMPARE(geometry[1].width, 612.0f);  // a blank PDF page still has a size...
        QVERIFY(geometry[1].words.empty());   // ...and no words
        QCOMPARE(words_of(doc.pages[0].text.toStdString(), geometry[0].words), std::string("The harbour opens at dawn."));
        for (const auto& w : geometry[2].words) QVERIFY(w.top > 190 && w.bottom < 220 && w.left >= 71);

        const auto stored = glimpse::stored_document_of("/docs/three.pdf", doc);
        QCOMPARE(stored.path, std::string("/docs/three.pdf"));
        QCOMPARE(stored.document.pages.size(), size_t(2));
        QCOMPARE(stored.geometry.size(), size_t(2));  // one per stored page
        QCOMPARE(stored.geometry[0], geometry[0]);
        QCOMPARE(stored.geometry[1], geometry[2]);
        QCOMPARE(stored.document.pages[1].number, 3);
    }

    void textFilesHaveNoGeometry() {
        const QString path = dir_.filePath(QStringLiteral("notes.txt"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("Plain notes without pages.\n");
        file.close();
        const auto doc = ingest::read_document(path);
        const auto geometry = glimpse::page_geometry_of(doc);
        QCOMPARE(geometry.size(), doc.pages.size());
        for (const auto& g : geometry) QCOMPARE(g, PageGeometry{});
        QVERIFY(glimpse::stored_document_of(path.toStdString(), doc).geometry.empty());
    }

    void boxesInPicksTheWordsARangeTouches() {
        // "one two three four": words at [0,3) [4,7) [8,13) [14,18).
        PageGeometry page{100, 100, {{0, 0, 10, 5, 0, 3}, {12, 0, 20, 5, 4, 7}, {22, 0, 35, 5, 8, 13}, {37, 0, 45, 5, 14, 18}}};
        auto begins = [&](const std::vector<std::pair<int, int>>& ranges) {
            std::vector<int> out;
            for (const auto& b : glimpse::boxes_in(page, ranges)) out.push_back(b.begin);
            return out;
        };
        QCOMPARE(begins({}), std::vector<int>{});
        QCOMPARE(begins({{4, 7}}), std::vector<int>({4}));
        QCOMPARE(begins({{3, 4}}), std::vector<int>{});           // only the space between
        QCOMPARE(begins({{2, 5}}), std::vector<int>({0, 4}));     // a part of each
        QCOMPARE(begins({{12, 15}, {0, 1}}), std::vector<int>({0, 8, 14}));  // page order, whatever the ranges' order
        QCOMPARE(begins({{0, 18}, {5, 9}}), std::vector<int>({0, 4, 8, 14}));  // each box once
        QCOMPARE(begins({{18, 40}}), std::vector<int>{});         // past the last word
        QCOMPARE(glimpse::boxes_in(PageGeometry{}, {{0, 10}}).size(), size_t(0));
    }
};

QTEST_MAIN(PageGeometryTest)
#include "test_page_geometry.moc"
