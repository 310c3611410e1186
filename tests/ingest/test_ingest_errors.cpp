// Bad input is an IngestError whose message names the file and says what to do; never a
// crash, never a silently empty document.

#include "ingest/read_document.h"
#include "pdf_fixture.h"

#include <QCryptographicHash>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest::IngestErrorCode;
using ingest_test::PdfFixture;

namespace {

void write_file(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray read_file(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

// Runs read_document and returns the error it throws (failing the test if it returns).
ingest::IngestError expect_error(const QString& path, const ingest::ReadOptions& options = {},
                                 const ingest::ProgressCallback& progress = {}) {
    try {
        const auto doc = ingest::read_document(path, options, progress);
        qWarning("unexpectedly read %d pages", int(doc.pages.size()));
    } catch (const ingest::IngestError& e) {
        return e;
    }
    return ingest::IngestError(IngestErrorCode::Cancelled, QStringLiteral("<no error was thrown>"));
}

}  // namespace

class IngestErrorsTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString path(const char* name) const { return dir_.filePath(QString::fromLatin1(name)); }

    QString ten_page_pdf(const char* name) {
        const QString p = path(name);
        PdfFixture pdf(p);
        for (int i = 1; i <= 10; ++i) {
            if (i > 1) pdf.new_page();
            pdf.paragraph(72, 100, 468, QStringLiteral("Page %1 of the report.").arg(i));
        }
        return p;
    }

private slots:
    void zeroByteFile() {
        write_file(path("empty.pdf"), {});
        const auto e = expect_error(path("empty.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::Empty);
        QCOMPARE(e.message(), path("empty.pdf") + QStringLiteral(" is empty (0 bytes); it may not have finished downloading or saving"));
    }

    void missingFile() {
        const auto e = expect_error(path("nowhere.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::NotFound);
        QCOMPARE(e.message(), path("nowhere.pdf") + QStringLiteral(": no such file"));
    }

    void pngRenamedPdf() {
        QImage image(40, 30, QImage::Format_RGB32);
        image.fill(Qt::red);
        QVERIFY(image.save(path("photo.pdf"), "PNG"));
        const auto e = expect_error(path("photo.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::WrongFormat);
        QCOMPARE(e.message(), path("photo.pdf") + QStringLiteral(" is a PNG image (despite its .pdf name), not a PDF or a text "
                                                                 "file. Glimpse reads PDF, plain-text and Markdown files; convert it to PDF first"));
    }

    void zipRenamedPdf() {
        // An empty ZIP archive: just the end-of-central-directory record.
        QByteArray zip("PK\x05\x06", 4);
        zip.append(QByteArray(18, '\0'));
        write_file(path("archive.pdf"), zip);
        const auto e = expect_error(path("archive.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::WrongFormat);
        QVERIFY2(e.message().startsWith(path("archive.pdf") + QStringLiteral(" is a ZIP archive (despite its .pdf name)")), qPrintable(e.message()));
    }

    void binaryJunk() {
        QByteArray junk;
        for (int i = 0; i < 4096; ++i) junk.append(char((i * 7919) % 256));
        write_file(path("data.bin"), junk);
        const auto e = expect_error(path("data.bin"));
        QCOMPARE(e.code(), IngestErrorCode::WrongFormat);
        QVERIFY2(e.message().contains(QStringLiteral("is a binary file of unknown type, not a PDF")), qPrintable(e.message()));
    }

    void compressedDocumentSaysToDecompress() {
        QByteArray gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
        gz.append(QByteArray(200, '\x55'));
        write_file(path("manual.pdf.gz"), gz);
        const auto e = expect_error(path("manual.pdf.gz"));
        QCOMPARE(e.code(), IngestErrorCode::WrongFormat);
        QVERIFY2(e.message().contains(QStringLiteral("not a PDF or a text file")), qPrintable(e.message()));
        QVERIFY2(e.message().endsWith(QStringLiteral("decompress it first")), qPrintable(e.message()));
        QVERIFY(!e.message().contains(QStringLiteral("despite")));
    }

    void folderInsteadOfFile() {
        QVERIFY(QDir(dir_.path()).mkpath(QStringLiteral("folder.pdf")));
        const auto e = expect_error(path("folder.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::WrongFormat);
        QCOMPARE(e.message(), path("folder.pdf") + QStringLiteral(" is a folder, not a file; choose the files inside it"));
    }

    void truncatedPdf() {
        const QByteArray whole = read_file(ten_page_pdf("whole.pdf"));
        write_file(path("truncated.pdf"), whole.left(whole.size() * 6 / 10));
        const auto e = expect_error(path("truncated.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::Damaged);
        QCOMPARE(e.message(), QStringLiteral("%1 is cut short: a complete PDF ends with an %%EOF marker and this one does "
                                             "not (%2 bytes). It was probably not completely downloaded or copied; get the file again")
                                  .arg(path("truncated.pdf")).arg(whole.size() * 6 / 10));
    }

    void garbageBetweenHeaderAndEnd() {
        write_file(path("garbage.pdf"), QByteArray("%PDF-1.7\n") + QByteArray(3000, 'x') + "\n%%EOF\n");
        const auto e = expect_error(path("garbage.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::Damaged);
        QVERIFY2(e.message().startsWith(path("garbage.pdf")), qPrintable(e.message()));
    }

    void pdfWithOnlyBlankPages() {
        {
            PdfFixture pdf(path("blank.pdf"));
            pdf.new_page();
            pdf.new_page();
        }
        const auto e = expect_error(path("blank.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::NoText);
        QCOMPARE(e.message(), path("blank.pdf") + QStringLiteral(" contains no text on any of its 3 page(s): its pages are blank"));
    }

    void fileDisappearsWhileBeingRead() {
        const QString p = ten_page_pdf("vanishing.pdf");
        int last = 0;
        const auto e = expect_error(p, {}, [&](const ingest::Progress& progress) {
            last = progress.page;
            if (progress.page == 3) QFile::remove(p);
        });
        QCOMPARE(e.code(), IngestErrorCode::NotFound);
        QCOMPARE(last, 3);
        QCOMPARE(e.message(), p + QStringLiteral(" disappeared while it was being read (moved, deleted or its drive was "
                                                 "disconnected); put it back and add it again"));
    }

    void fileChangesWhileBeingRead() {
        const QString p = ten_page_pdf("growing.pdf");
        const qint64 size = QFileInfo(p).size();
        const auto e = expect_error(p, {}, [&](const ingest::Progress& progress) {
            if (progress.page != 2) return;
            QFile f(p);
            if (f.open(QIODevice::Append)) f.write("% appended by another program\n");
        });
        QCOMPARE(e.code(), IngestErrorCode::Changed);
        QVERIFY2(e.message().startsWith(p + QStringLiteral(" changed while it was being read (%1 bytes, now %2)")
                                                .arg(size).arg(size + 30)), qPrintable(e.message()));
    }

    void absurdlyLargeFile() {
        // A sparse 3 GiB file: costs no disk space, but is far past the limit.
        QFile f(path("huge.pdf"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("%PDF-1.7\n");
        QVERIFY(f.resize(qint64(3) << 30));
        f.close();
        const auto e = expect_error(path("huge.pdf"));
        QCOMPARE(e.code(), IngestErrorCode::TooLarge);
        QCOMPARE(e.message(), path("huge.pdf") + QStringLiteral(" is 3.0 GiB, larger than the 2.0 GiB limit; split it into smaller files"));
    }

    void absurdPageCount() {
        const QString p = ten_page_pdf("many.pdf");
        ingest::ReadOptions options;
        options.max_pages = 5;
        const auto e = expect_error(p, options);
        QCOMPARE(e.code(), IngestErrorCode::TooLarge);
        QCOMPARE(e.message(), p + QStringLiteral(" has 10 pages, more than the limit of 5; split it into smaller files"));
    }

    void textNamedPdfIsReadAsTextWithANote() {
        write_file(path("notes.pdf"), "Meeting notes\n\nWe agreed on the plan.\n");
        const auto doc = ingest::read_document(path("notes.pdf"));
        QCOMPARE(doc.kind, ingest::SourceKind::PlainText);
        QCOMPARE(doc.pages.at(0).text, QStringLiteral("Meeting notes\n\nWe agreed on the plan."));
        QCOMPARE(doc.warnings, QStringList{QStringLiteral("notes.pdf is named .pdf but holds plain text; it was read as text")});
    }

    void damagedPdfsNeverCrash() {
        // Overwrite runs of bytes at random places (keeping the header and the %%EOF end):
        // each result is a document or an IngestError, never a crash or another exception.
        const QByteArray whole = read_file(ten_page_pdf("source.pdf"));
        QRandomGenerator random(20241124);
        int documents = 0, errors = 0;
        for (int round = 0; round < 40; ++round) {
            QByteArray damaged = whole;
            for (int hit = 0; hit < 1 + round % 4; ++hit) {
                const int at = 16 + random.bounded(int(damaged.size()) - 64);
                for (int k = 0; k < 1 + random.bounded(40); ++k) damaged[at + k] = char(random.bounded(256));
            }
            const QString p = path("damaged.pdf");
            write_file(p, damaged);
            try {
                const auto doc = ingest::read_document(p);
                QVERIFY(!doc.pages.empty());
                ++documents;
            } catch (const ingest::IngestError& e) {
                QVERIFY2(e.message().startsWith(p) || e.message().contains(QStringLiteral("damaged.pdf")), qPrintable(e.message()));
                ++errors;
            }
        }
        QCOMPARE(documents + errors, 40);
    }

    void fingerprintIsSha256OfTheBytes() {
        const QString p = ten_page_pdf("fingerprint.pdf");
        const auto doc = ingest::read_document(p);
        QCOMPARE(doc.fingerprint, QString::fromLatin1(QCryptographicHash::hash(read_file(p), QCryptographicHash::Sha256).toHex()));
        QCOMPARE(doc.source_path, QFileInfo(p).absoluteFilePath());
        QCOMPARE(doc.pages.size(), size_t(10));
        QCOMPARE(doc.page_of(QStringLiteral("Page 7 of the report.")), 7);
    }
};

QTEST_MAIN(IngestErrorsTest)
#include "test_ingest_errors.moc"
