// `glimpse-cli ingest` prints what it read from each file, dumps pages, and fails clearly.

#include "pdf_fixture.h"
#include "test_support.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

class CliIngestTest : public QObject {
    Q_OBJECT

    struct Run { int code = -1; QString out, err; };
    Run run(const QStringList& args) {
        QProcess p;
        p.start(QString::fromStdString(test_support::cli_path().string()), args);
        Run r;
        if (!p.waitForFinished(120000)) return r;
        r.code = p.exitCode();
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }
    QTemporaryDir dir_;

private slots:
    void printsSummaryAndDumpsPages() {
        const QString pdf = dir_.filePath(QStringLiteral("report.pdf"));
        {
            ingest_test::PdfFixture fixture(pdf, QStringLiteral("Quarterly Report"));
            for (int p = 1; p <= 3; ++p) {
                if (p > 1) fixture.new_page();
                fixture.line(72, 100, QStringLiteral("Section %1 of the quarterly report.").arg(p));
            }
        }
        const QString dump = dir_.filePath(QStringLiteral("report.txt"));
        const Run r = run({QStringLiteral("ingest"), QStringLiteral("--no-ocr"), QStringLiteral("--dump"), dump, pdf});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QStringLiteral("  title:      Quarterly Report\n")), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("  pages:      3\n")));
        QVERIFY(r.out.contains(QStringLiteral("  needing OCR: 0 (read by OCR: 0)\n")));
        // 6 words on each of 3 pages, each placed where it is drawn.
        QVERIFY2(r.out.contains(QStringLiteral("  word boxes: 18 of 18 words placed on their page (100.0%)\n")), qPrintable(r.out));
        QFile f(dump);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(QString::fromUtf8(f.readAll()).contains(QStringLiteral("=== page 2 ===\nSection 2 of the quarterly report.\n")));
    }

    void reportsUnreadableFilesAndFails() {
        const QString missing = dir_.filePath(QStringLiteral("missing.pdf"));
        const Run r = run({QStringLiteral("ingest"), missing});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(missing + QStringLiteral(": no such file")), qPrintable(r.err));
        QVERIFY(r.err.contains(QStringLiteral("1 of 1 file(s) could not be read")));
    }

    void benchReportsPagesPerSecond() {
        const Run r = run({QStringLiteral("ingest"), QStringLiteral("--bench"), QStringLiteral("--bench-pages"), QStringLiteral("20")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QStringLiteral("ingest bench: 20-page text PDF")), qPrintable(r.out + r.err));
        QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("median: [0-9.]+ pages/s wall clock"))));
        QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("[0-9.]+ MiB peak"))));
    }
};

QTEST_MAIN(CliIngestTest)
#include "test_cli_ingest.moc"
