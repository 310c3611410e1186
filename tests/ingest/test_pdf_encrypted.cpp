// Encrypted PDFs (made with qpdf from a QPdfWriter file): a clear error without a password,
// another for a wrong one, and the text with the right user or owner password.

#include "ingest/read_document.h"
#include "pdf_fixture.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest/QtTest>

using ingest::IngestErrorCode;

class PdfEncryptedTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    QString locked_;

    ingest::IngestError read_error(const ingest::ReadOptions& options) {
        try {
            ingest::read_document(locked_, options);
        } catch (const ingest::IngestError& e) {
            return e;
        }
        return ingest::IngestError(IngestErrorCode::Cancelled, QStringLiteral("<no error was thrown>"));
    }

private slots:
    void initTestCase() {
        const QString qpdf = QStandardPaths::findExecutable(QStringLiteral("qpdf"));
        if (qpdf.isEmpty()) QFAIL("qpdf is needed to encrypt the test PDF: apt-get install qpdf");
        const QString plain = dir_.filePath(QStringLiteral("plain.pdf"));
        locked_ = dir_.filePath(QStringLiteral("locked.pdf"));
        {
            ingest_test::PdfFixture pdf(plain);
            pdf.paragraph(72, 100, 468, QStringLiteral("The vault code is written on page one."));
        }
        QProcess process;
        process.start(qpdf, {QStringLiteral("--encrypt"), QStringLiteral("open sesame"), QStringLiteral("owner-key"),
                             QStringLiteral("256"), QStringLiteral("--"), plain, locked_});
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    }

    void withoutPasswordAsksForOne() {
        const auto e = read_error({});
        QCOMPARE(e.code(), IngestErrorCode::NeedsPassword);
        QCOMPARE(e.message(), locked_ + QStringLiteral(" is password-protected; give its password to read it"));
    }

    void wrongPasswordSaysSo() {
        ingest::ReadOptions options;
        options.password = "open sesane";
        const auto e = read_error(options);
        QCOMPARE(e.code(), IngestErrorCode::WrongPassword);
        QCOMPARE(e.message(), locked_ + QStringLiteral(": the password given does not open this PDF; check it and try again"));
    }

    void rightPasswordReadsText() {
        for (const QByteArray& password : {QByteArray("open sesame"), QByteArray("owner-key")}) {
            ingest::ReadOptions options;
            options.password = password;
            const auto doc = ingest::read_document(locked_, options);
            QCOMPARE(doc.pages.size(), size_t(1));
            QCOMPARE(doc.pages[0].text, QStringLiteral("The vault code is written on page one."));
        }
    }
};

QTEST_MAIN(PdfEncryptedTest)
#include "test_pdf_encrypted.moc"
