// Text and Markdown files: encodings, logical pages and titles.

#include "ingest/read_document.h"

#include <QFile>
#include <QStringEncoder>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest::IngestErrorCode;

class TextFilesTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString write(const char* name, const QByteArray& bytes) {
        const QString path = dir_.filePath(QString::fromLatin1(name));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size()) qFatal("cannot write %s", name);
        return path;
    }
    static QByteArray encode(QStringConverter::Encoding encoding, const QString& text, bool bom) {
        QStringEncoder encoder(encoding, bom ? QStringConverter::Flag::WriteBom : QStringConverter::Flag::Default);
        return encoder(text);
    }
    const QString german_ = QStringLiteral("Grüße aus Köln\n\nDer Bäcker öffnet um 6 Uhr – pünktlich.");

private slots:
    void utf16LittleEndianWithBom() {
        const auto doc = ingest::read_document(write("le.txt", encode(QStringConverter::Utf16LE, german_, true)));
        QCOMPARE(doc.pages.size(), size_t(1));
        QCOMPARE(doc.pages[0].text, german_);
        QCOMPARE(doc.title, QStringLiteral("Grüße aus Köln"));
        QVERIFY(doc.warnings.isEmpty());
    }

    void utf16BigEndianWithBom() {
        const auto doc = ingest::read_document(write("be.txt", encode(QStringConverter::Utf16BE, german_, true)));
        QCOMPARE(doc.pages.at(0).text, german_);
        QVERIFY(doc.warnings.isEmpty());
    }

    void utf16WithoutBomIsRecognised() {
        const auto doc = ingest::read_document(write("nobom16.txt", encode(QStringConverter::Utf16LE, german_, false)));
        QCOMPARE(doc.pages.at(0).text, german_);
    }

    void utf8WithBom() {
        const auto doc = ingest::read_document(write("bom8.txt", encode(QStringConverter::Utf8, german_, true)));
        QCOMPARE(doc.pages.at(0).text, german_);
        QCOMPARE(doc.title, QStringLiteral("Grüße aus Köln"));  // the BOM is not part of the title
    }

    void latin1IsReadWithAWarning() {
        const QString path = write("latin1.txt", QByteArray("Caf\xE9 cr\xE8me at 5\xB0" "C \x93quoted\x94\n"));
        const auto doc = ingest::read_document(path);
        QCOMPARE(doc.pages.at(0).text, QStringLiteral("Café crème at 5°C “quoted”"));
        QCOMPARE(doc.warnings, QStringList{QStringLiteral("latin1.txt is not valid UTF-8 and has no byte-order mark; it "
                                                          "was read as Latin-1 (Windows-1252). If characters look wrong, save it as UTF-8")});
    }

    void cleansControlCharactersLigaturesAndSpaces() {
        const auto doc = ingest::read_document(
            write("dirty.txt", QStringLiteral("O\uFB03ce\u00A0hours:\ttwo\u0007 o\u00ADclock\u200B.\r\nNext line.").toUtf8()));
        QCOMPARE(doc.pages.at(0).text, QStringLiteral("Office hours: two oclock.\nNext line."));
    }

    void formFeedsMakePages() {
        const auto doc = ingest::read_document(
            write("pages.txt", "Chapter one text.\n\fChapter two mentions the orchard.\n\fChapter three.\n\f"));
        QCOMPARE(doc.pages.size(), size_t(3));
        QCOMPARE(doc.pages[1].text, QStringLiteral("Chapter two mentions the orchard."));
        QCOMPARE(doc.page_of(QStringLiteral("orchard")), 2);
        QCOMPARE(doc.pages[2].number, 3);
    }

    void longTextIsCutAtParagraphs() {
        QStringList paragraphs;
        for (int i = 1; i <= 20; ++i) {
            QString p = QStringLiteral("Paragraph %1 begins here.").arg(i);
            while (p.size() < 650) p += QStringLiteral(" It goes on about item %1 for a while.").arg(i);
            paragraphs.append(p);
        }
        const auto doc = ingest::read_document(write("long.txt", paragraphs.join(QStringLiteral("\n\n")).toUtf8()));
        QVERIFY(doc.pages.size() >= 4);
        QStringList rebuilt;
        for (const auto& page : doc.pages) {
            QVERIFY2(page.text.size() <= 6000, "a logical page is far beyond the target size");
            QVERIFY(page.text.startsWith(QStringLiteral("Paragraph ")));  // cut only between paragraphs
            QVERIFY(page.text.endsWith(u'.'));
            rebuilt.append(page.text);
        }
        QCOMPARE(rebuilt.join(QStringLiteral("\n\n")), paragraphs.join(QStringLiteral("\n\n")));
        // Paragraphs are ~670 characters: four fit in 3,000, so paragraph 9 opens page 3.
        QCOMPARE(doc.page_of(QStringLiteral("Paragraph 9 begins")), 3);
        QVERIFY(doc.pages[2].text.startsWith(QStringLiteral("Paragraph 9 begins")));
    }

    void markdownTitleFromFirstHeading() {
        const QByteArray md = "Intro line before the heading.\n\n```\n# not a title, code\n```\n\n# Field Guide to Ferns ##\n\nText.\n";
        const auto doc = ingest::read_document(write("guide.md", md));
        QCOMPARE(doc.kind, ingest::SourceKind::Markdown);
        QCOMPARE(doc.title, QStringLiteral("Field Guide to Ferns"));
    }

    void whitespaceOnlyFileIsAnError() {
        const QString path = write("blank.txt", "  \n\n\t \n");
        try {
            ingest::read_document(path);
            QFAIL("expected an IngestError");
        } catch (const ingest::IngestError& e) {
            QCOMPARE(e.code(), IngestErrorCode::Empty);
            QCOMPARE(e.message(), path + QStringLiteral(" contains no text (7 bytes of white space or control characters)"));
        }
    }
};

QTEST_GUILESS_MAIN(TextFilesTest)
#include "test_text_files.moc"
