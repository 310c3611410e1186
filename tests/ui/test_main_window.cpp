// The window driven as a person would, offscreen, with the real engine and the default
// model: add a document, ask with Enter, watch the answer stream in, stop one, open the
// cited page with its passage highlighted; cancel a reading; damaged files and a damaged
// model give inline errors and the window goes on.

#include "test_support.h"

#include "ui/main_window.h"
#include "ui/page_view.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest/QtTest>

using glimpse::ui::MainWindow;

namespace {

constexpr int kTimeout = 120000;

glimpse::ModelChoice default_choice() {
    glimpse::ModelChoice choice;
    choice.model = test_support::default_model();
    choice.threads = 2;
    choice.adapter_dirs = {test_support::source_dir() / "resources/lookahead"};
    return choice;
}

glimpse::ConversationOptions short_answers(int tokens) {
    glimpse::ConversationOptions o;
    o.sampling.max_new_tokens = tokens;
    return o;
}

QString sample() {
    return QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.md").string());
}

void type_and_enter(MainWindow& w, const QString& text) {
    QTest::keyClicks(w.input(), text);
    QTest::keyClick(w.input(), Qt::Key_Return);
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void a_question_streams_an_answer_that_cites_its_page() {
        MainWindow w(default_choice(), short_answers(48));
        w.show();
        QAbstractItemModelTester messages(&w.messages(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester documents(&w.documents(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);   // the model is open
        QVERIFY2(w.gauge()->text().contains("lookahead"), qPrintable(w.gauge()->text()));

        w.addDocuments({sample()});
        QTRY_COMPARE_WITH_TIMEOUT(w.documents().rowCount(), 1, kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);

        int streamed = 0;
        connect(&w.messages(), &QAbstractItemModel::dataChanged, this, [&] { ++streamed; });
        type_and_enter(w, "What is the entrance code for the night tours?");
        QVERIFY(w.input()->toPlainText().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 2);
        const auto& answer = w.messages().messages().last();
        QVERIFY2(answer.text.contains("PELICAN-47"), qPrintable(answer.text));
        QVERIFY(streamed > 2);                       // pieces arrived one by one
        QVERIFY(w.renders() < streamed + 2);         // re-rendering is throttled, not per piece
        QVERIFY(w.conversationView()->toPlainText().contains("PELICAN-47"));
        QVERIFY(w.gauge()->text().contains("kept of"));

        // The cited page opens with the passage that holds the code highlighted.
        QVERIFY(!answer.turn.cited.isEmpty());
        const auto& cited = answer.turn.cited.first();
        QVERIFY(w.conversationView()->toMarkdown().contains(QString("page:0:%1").arg(cited.page)));
        w.showPage(cited.document, cited.page, cited.passages);
        auto* view = w.findChild<glimpse::ui::PageView*>();
        QVERIFY(view);
        QCOMPARE(view->page(), 2);
        QVERIFY2(view->highlighted().join(" ").contains("PELICAN-47"), qPrintable(view->highlighted().join(" | ")));
        view->close();

        // Stop in the middle of a long answer, then ask again.
        type_and_enter(w, "Describe the lighthouse, its history and its keepers in detail.");
        QTRY_VERIFY_WITH_TIMEOUT(w.messages().rowCount() == 4 && w.messages().messages().last().streaming, kTimeout);
        QTest::mouseClick(w.stopButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QVERIFY(w.messages().messages().last().turn.stopped);
        QVERIFY(w.messages().messages().last().turn.answerTokens < 48);
        type_and_enter(w, "Who designed the lighthouse?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 6);
        QVERIFY(!w.messages().messages().last().text.isEmpty());
    }

    void cancel_while_reading_leaves_the_window_usable() {
        MainWindow w(default_choice(), short_answers(24));
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.addDocuments({sample()});
        QTRY_VERIFY_WITH_TIMEOUT(w.documents().rowCount() == 1 && !w.isBusy(), kTimeout);
        w.ask("What is the entrance code for the night tours?");
        QTRY_VERIFY_WITH_TIMEOUT(w.cancelButton()->isVisible(), kTimeout);   // reading, with progress
        QTest::mouseClick(w.cancelButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QVERIFY(w.errorLabel()->isVisible());
        QVERIFY2(w.errorLabel()->text().contains("cancelled"), qPrintable(w.errorLabel()->text()));
        QCOMPARE(w.messages().rowCount(), 0);   // the unanswered question is gone

        w.ask("What is the entrance code for the night tours?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 2);
        QVERIFY(!w.errorLabel()->isVisible());
    }

    void damaged_files_and_models_are_inline_errors() {
        QTemporaryDir dir;
        const QString fake_pdf = dir.filePath("notes.pdf");
        QFile f(fake_pdf);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n");   // cut off after one object
        f.close();

        MainWindow w(default_choice(), short_answers(8));
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.addDocuments({fake_pdf});
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && w.errorLabel()->isVisible(), kTimeout);
        QVERIFY2(w.errorLabel()->text().contains("notes.pdf"), qPrintable(w.errorLabel()->text()));
        QCOMPARE(w.documents().rowCount(), 0);

        glimpse::ModelChoice broken = default_choice();
        const QString fake_model = dir.filePath("model.gguf");
        QFile m(fake_model);
        QVERIFY(m.open(QIODevice::WriteOnly));
        m.write("not a model");
        m.close();
        broken.model = fake_model.toStdString();
        MainWindow bad(broken, short_answers(8));
        bad.show();
        QTRY_VERIFY_WITH_TIMEOUT(!bad.isBusy() && bad.errorLabel()->isVisible(), kTimeout);
        QVERIFY2(bad.errorLabel()->text().contains("model.gguf"), qPrintable(bad.errorLabel()->text()));
        bad.ask("Anything?");
        QTRY_VERIFY_WITH_TIMEOUT(!bad.isBusy(), kTimeout);
        QVERIFY2(bad.errorLabel()->text().contains("No model"), qPrintable(bad.errorLabel()->text()));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
