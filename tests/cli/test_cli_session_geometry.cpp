// `glimpse-cli chat --session` with a PDF stores each page's size and word boxes beside its
// text, aligned to it, for the desktop window's highlighted page view.

#include "test_support.h"

#include "ingest/pdf_fixture.h"
#include "store/session_store.h"

#include <QtTest/QtTest>

class TestCliSessionGeometry : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void a_pdf_session_stores_its_word_boxes() {
        const QString pdf_path = dir_.filePath("notice.pdf");
        {
            ingest_test::PdfFixture pdf(pdf_path);
            pdf.line(72, 100, QStringLiteral("The ferry to the island leaves at seven."));
            pdf.line(72, 114, QStringLiteral("Tickets are sold at the harbour office."));
        }
        auto env = QProcessEnvironment::systemEnvironment();
        const QString db = dir_.filePath("sessions.sqlite");
        env.insert("GLIMPSE_SESSIONS_DB", db);
        const auto r = test_support::run_cli({"chat", "--session", "ferry", "--threads", "2", "-n", "4", "--doc", pdf_path},
                                             "When does the ferry leave?\n", env);
        QVERIFY2(r.code == 0, qPrintable(r.err));

        glimpse::store::SessionStore store(db.toStdString());
        const auto docs = store.documents(store.find("ferry")->id);
        QCOMPARE(docs.size(), size_t(1));
        QCOMPARE(docs[0].geometry.size(), size_t(1));
        const auto& page = docs[0].geometry[0];
        QCOMPARE(page.width, 612.0f);
        QCOMPARE(page.height, 792.0f);
        const std::string& text = docs[0].document.pages[0].text;
        std::string words;
        for (const auto& w : page.words) words += text.substr(size_t(w.begin), size_t(w.end - w.begin)) + " ";
        QCOMPARE(QString::fromStdString(words).trimmed(), QString::fromStdString(text));
        QVERIFY(page.words.front().top < 114 && page.words.back().top > 110);  // second line below the first
    }
};

QTEST_MAIN(TestCliSessionGeometry)
#include "test_cli_session_geometry.moc"
