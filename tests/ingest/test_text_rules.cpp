// The rules behind the cleaned text, case by case: Unicode clean-up, hyphen resolution and
// the running-header key.

#include "ingest/paragraph_joiner.h"
#include "ingest/running_header_filter.h"
#include "ingest/text_cleaner.h"

#include <QtTest/QtTest>

class TextRulesTest : public QObject {
    Q_OBJECT

private slots:
    void cleanText_data() {
        QTest::addColumn<QString>("raw");
        QTest::addColumn<QString>("clean");
        QTest::newRow("ligatures") << QStringLiteral("\uFB01\uFB02\uFB00\uFB03\uFB04") << QStringLiteral("fiflffffiffl");
        QTest::newRow("nbsp and thin space") << QStringLiteral("a\u00A0b\u2009c\u202Fd") << QStringLiteral("a b c d");
        QTest::newRow("soft hyphen") << QStringLiteral("hy\u00ADphen") << QStringLiteral("hyphen");
        QTest::newRow("controls") << QStringLiteral("a\u0001b\u007Fc\u0085d\te") << QStringLiteral("abcd e");
        QTest::newRow("line endings") << QStringLiteral("a\r\nb\rc") << QStringLiteral("a\nb\nc");
        QTest::newRow("full width") << QStringLiteral("\uFF21\uFF11") << QStringLiteral("A1");
        QTest::newRow("zero width") << QStringLiteral("zero\u200Bwidth\uFEFF") << QStringLiteral("zerowidth");
        QTest::newRow("accents kept") << QStringLiteral("e\u0301t\u00E9") << QStringLiteral("\u00E9t\u00E9");
    }
    void cleanText() {
        QFETCH(QString, raw);
        QFETCH(QString, clean);
        QCOMPARE(ingest::clean_text(raw).text, clean);
    }

    void countsUndecodableCharacters() {
        const auto result = ingest::clean_text(QStringLiteral("a\uE001b\uFFFDc"));
        QCOMPARE(result.text, QStringLiteral("abc"));
        QCOMPARE(result.undecodable, 2);
    }

    void hyphenRule_data() {
        QTest::addColumn<QString>("head");
        QTest::addColumn<QString>("tail");
        QTest::addColumn<QString>("joined");
        QTest::newRow("syllable break") << QStringLiteral("exam-") << QStringLiteral("ple") << QStringLiteral("example");
        QTest::newRow("compound head") << QStringLiteral("well-") << QStringLiteral("known") << QStringLiteral("well-known");
        QTest::newRow("capital tail") << QStringLiteral("Anglo-") << QStringLiteral("Saxon") << QStringLiteral("Anglo-Saxon");
        QTest::newRow("digit tail") << QStringLiteral("1990-") << QStringLiteral("1995") << QStringLiteral("1990-1995");
        QTest::newRow("head has hyphen") << QStringLiteral("state-of-the-") << QStringLiteral("art") << QStringLiteral("state-of-the-art");
        QTest::newRow("seen compound") << QStringLiteral("co-") << QStringLiteral("author") << QStringLiteral("co-author");
        QTest::newRow("seen merged word") << QStringLiteral("self-") << QStringLiteral("ish") << QStringLiteral("selfish");
        QTest::newRow("punctuation after") << QStringLiteral("(exam-") << QStringLiteral("ple).") << QStringLiteral("(example).");
    }
    void hyphenRule() {
        QFETCH(QString, head);
        QFETCH(QString, tail);
        QFETCH(QString, joined);
        ingest::DocumentVocabulary vocabulary;
        vocabulary.add_line(QStringLiteral("The co-author was selfish about it."));
        QCOMPARE(ingest::join_hyphenated(head, tail, vocabulary), joined);
    }

    void lineEndHyphenIsNotLearnedAsACompound() {
        ingest::DocumentVocabulary vocabulary;
        vocabulary.add_line(QStringLiteral("a line ending in exam-"));
        QVERIFY(!vocabulary.has_compound(QStringLiteral("exam-")));
        QVERIFY(!vocabulary.has_word(QStringLiteral("exam")));
    }

    void softHyphenAtLineEndJoinsWithoutHyphen() {
        ingest::DocumentVocabulary vocabulary;
        std::vector<ingest::LayoutLine> lines(3);
        lines[0].text = QStringLiteral("the auto");
        lines[0].paragraph_start = true;
        lines[0].soft_hyphen_end = true;
        lines[1].text = QStringLiteral("matic door");
        lines[2].text = QStringLiteral("Next paragraph.");
        lines[2].paragraph_start = true;
        QCOMPARE(ingest::join_lines(lines, vocabulary), QStringLiteral("the automatic door\n\nNext paragraph."));
    }

    void runningLineKey() {
        QCOMPARE(ingest::running_line_key(QStringLiteral("Page 12 of 300")), QStringLiteral("page # of #"));
        QCOMPARE(ingest::running_line_key(QStringLiteral("  xiv ")), QStringLiteral("#"));
        QCOMPARE(ingest::running_line_key(QStringLiteral("Annual  Report 2024")), QStringLiteral("annual report #"));
    }

    void headersNeedToRepeat() {
        // Three of eight pages carry "Draft": it repeats enough. "Once" appears on one page
        // only and stays.
        std::vector<std::vector<ingest::LayoutLine>> pages(8);
        for (int p = 0; p < 8; ++p) {
            ingest::LayoutLine body;
            body.text = QStringLiteral("body %1").arg(p);
            body.top = 100;
            body.bottom = 110;
            body.height = 10;
            if (p < 3) {
                ingest::LayoutLine top;
                top.text = QStringLiteral("Draft");
                top.band = ingest::PageBand::Top;
                top.top = 20;
                top.bottom = 30;
                top.height = 10;
                pages[p].push_back(top);
            }
            if (p == 5) {
                ingest::LayoutLine top;
                top.text = QStringLiteral("Once");
                top.band = ingest::PageBand::Top;
                top.top = 20;
                top.bottom = 30;
                top.height = 10;
                pages[p].push_back(top);
            }
            pages[p].push_back(body);
        }
        const auto removal = ingest::remove_running_headers(pages);
        QCOMPARE(removal.lines_removed, 3);
        QCOMPARE(removal.examples, QStringList{QStringLiteral("Draft")});
        QCOMPARE(pages[0].size(), size_t(1));
        QCOMPARE(pages[5].front().text, QStringLiteral("Once"));
    }

    void repeatedLineBelowAUniqueOneStays() {
        // "Hash some more data." repeats in the top band of three pages, but below a unique
        // line on each: it is body text, not a header.
        std::vector<std::vector<ingest::LayoutLine>> pages(3);
        for (int p = 0; p < 3; ++p) {
            ingest::LayoutLine unique, repeated;
            unique.text = QStringLiteral("Function %1").arg(QChar(u'A' + p));
            unique.top = 20;
            unique.band = ingest::PageBand::Top;
            repeated.text = QStringLiteral("Hash some more data.");
            repeated.top = 40;
            repeated.band = ingest::PageBand::Top;
            pages[p] = {unique, repeated};
        }
        QCOMPARE(ingest::remove_running_headers(pages).lines_removed, 0);
        QCOMPARE(pages[2].size(), size_t(2));
    }

    void repeatedLastLineWithoutSeparationStays() {
        // The same line closes three pages, right below the body text: a code listing, not
        // a footer. With white space above it, it would be a footer.
        for (const double gap : {2.0, 30.0}) {
            std::vector<std::vector<ingest::LayoutLine>> pages(3);
            for (int p = 0; p < 3; ++p) {
                ingest::LayoutLine body, last;
                body.text = QStringLiteral("unique body %1").arg(p);
                body.top = 690;
                body.bottom = 700;
                body.height = 10;
                last.text = QStringLiteral("Hash some more data.");
                last.top = 700 + gap;
                last.bottom = 710 + gap;
                last.height = 10;
                last.band = ingest::PageBand::Bottom;
                pages[p] = {body, last};
            }
            QCOMPARE(ingest::remove_running_headers(pages).lines_removed, gap > 5 ? 3 : 0);
        }
    }
};

QTEST_GUILESS_MAIN(TextRulesTest)
#include "test_text_rules.moc"
