// The window driven as a person would, offscreen, with the real engine, the default model
// and a real session database: add a document, ask with Enter, watch the answer stream in,
// stop one, open the cited page with its passage highlighted; close the window, reopen it
// and continue the session with no reading; rename, search, delete sessions; remove a
// document; settings; the first-run page without a model; cancel a reading; damaged files
// and a damaged model give inline errors and the window goes on.

#include "test_support.h"

#include "ui/main_window.h"
#include "ui/page_view.h"
#include "ui/settings_dialog.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
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

QString sample_pdf() {
    return QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.pdf").string());
}

void type_and_enter(MainWindow& w, const QString& text) {
    QTest::keyClicks(w.input(), text);
    QTest::keyClick(w.input(), Qt::Key_Return);
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(home_.isValid());
        qputenv("XDG_CONFIG_HOME", home_.filePath("config").toUtf8());   // QSettings
        qputenv("GLIMPSE_SESSIONS_DB", home_.filePath("sessions.sqlite").toUtf8());
    }

    void a_session_continues_after_the_window_is_closed() {
        const QString db = home_.filePath("continue.sqlite");
        qint64 id = 0;
        {
            MainWindow w(default_choice(), short_answers(24), db.toStdString());
            w.show();
            QAbstractItemModelTester sessions(&w.sessions(), QAbstractItemModelTester::FailureReportingMode::QtTest);
            QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
            QCOMPARE(w.sessions().rowCount(), 0);
            w.addDocuments({sample()});
            QTRY_VERIFY_WITH_TIMEOUT(w.documents().rowCount() == 1 && !w.isBusy(), kTimeout);
            w.ask("What is the entrance code for the night tours?");
            QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
            QVERIFY2(w.messages().messages().last().text.contains("PELICAN-47"), qPrintable(w.messages().messages().last().text));
            QCOMPARE(w.sessions().rowCount(), 1);   // stored by the first question
            id = w.currentSessionId();
            QVERIFY(id > 0);
            QCOMPARE(w.sessions().sessions().first().turns, 1);
            QVERIFY(w.sessionList()->currentIndex().isValid());   // and selected
            w.close();
        }
        MainWindow w(default_choice(), short_answers(24), db.toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && w.sessions().rowCount() == 1, kTimeout);
        QCOMPARE(w.messages().rowCount(), 0);
        // A click on the session opens it: its documents, its turns, its cache.
        const QRect row = w.sessionList()->visualRect(w.sessionList()->model()->index(0, 0));
        QTest::mouseClick(w.sessionList()->viewport(), Qt::LeftButton, {}, row.center());
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && w.currentSessionId() == id, kTimeout);
        QCOMPARE(w.documents().rowCount(), 1);
        QCOMPARE(w.messages().rowCount(), 2);
        QVERIFY(w.messages().messages().last().text.contains("PELICAN-47"));
        QVERIFY(!w.messages().messages().last().turn.cited.isEmpty());   // its pages are kept
        QVERIFY(w.conversationView()->toPlainText().contains("PELICAN-47"));
        QVERIFY2(!w.noticeLabel()->isVisible(), qPrintable(w.noticeLabel()->text()));   // the snapshot was used
        w.ask("Who designed the lighthouse?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 4);
        const auto& next = w.messages().messages().last().turn;
        QVERIFY(!next.answer.isEmpty());
        QVERIFY2(next.readTokens < 64, qPrintable(QString::number(next.readTokens)));   // the question only
        QCOMPARE(w.sessions().sessions().first().turns, 2);

        // Regenerate: the last answer is sampled again, nothing is read, the store keeps
        // the new answer in place of the old.
        QVERIFY(w.canRegenerate());
        QVERIFY(w.conversationView()->toMarkdown().contains("regenerate:"));
        w.regenerate();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 4);
        const auto& regenerated = w.messages().messages().last().turn;
        QVERIFY(!regenerated.answer.isEmpty());
        QCOMPARE(regenerated.readTokens, 0);
        QCOMPARE(w.sessions().sessions().first().turns, 2);
        const qint64 reopenedId = w.currentSessionId();
        w.close();
        MainWindow third(default_choice(), short_answers(24), db.toStdString());
        third.show();
        QTRY_VERIFY_WITH_TIMEOUT(!third.isBusy() && third.sessions().rowCount() == 1, kTimeout);
        third.openSession(reopenedId);
        QTRY_VERIFY_WITH_TIMEOUT(!third.isBusy() && third.messages().rowCount() == 4, kTimeout);
        QCOMPARE(third.messages().messages().last().text, regenerated.answer);
        QVERIFY(!third.canRegenerate());   // where that answer began is not kept
        QVERIFY2(!third.noticeLabel()->isVisible(), qPrintable(third.noticeLabel()->text()));   // the new snapshot fits
    }

    void sessions_are_renamed_searched_and_deleted() {
        const QString db = home_.filePath("manage.sqlite");
        MainWindow w(default_choice(), short_answers(8), db.toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.ask("Say hello.");   // a session with no documents is named after its first question
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.sessions().rowCount(), 1);
        QCOMPARE(w.sessions().sessions().first().name, QString("Say hello."));
        const qint64 first = w.currentSessionId();
        w.newSession();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 0);
        QCOMPARE(w.currentSessionId(), 0);
        w.ask("Say hello.");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.sessions().rowCount(), 2);
        QVERIFY(w.currentSessionId() != first);
        QCOMPARE(w.sessions().sessions().first().name, QString("Say hello. (2)"));   // names stay unique

        w.renameSession(first, "Greetings");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QVERIFY(w.sessions().rowOf(first) >= 0);
        QCOMPARE(w.sessions().sessions()[w.sessions().rowOf(first)].name, QString("Greetings"));
        w.renameSession(first, "Say hello. (2)");   // taken: an inline error, nothing changes
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && w.errorLabel()->isVisible(), kTimeout);
        QVERIFY2(w.errorLabel()->text().contains("already exists"), qPrintable(w.errorLabel()->text()));
        QCOMPARE(w.sessions().sessions()[w.sessions().rowOf(first)].name, QString("Greetings"));

        QTest::keyClicks(w.sessionSearch(), "greet");
        QCOMPARE(w.sessionList()->model()->rowCount(), 1);
        w.sessionSearch()->clear();
        QCOMPARE(w.sessionList()->model()->rowCount(), 2);

        const qint64 current = w.currentSessionId();
        w.deleteSession(current, true);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.sessions().rowCount(), 1);
        QCOMPARE(w.currentSessionId(), 0);   // the deleted session is no longer shown
        QCOMPARE(w.messages().rowCount(), 0);
        QCOMPARE(w.sessions().sessions().first().id, first);
    }

    void a_removed_document_is_no_longer_read() {
        QTemporaryDir dir;
        const QString other = dir.filePath("menu.txt");
        QFile f(other);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("The cafe at the harbour serves fish soup on Fridays.\n");
        f.close();
        MainWindow w(default_choice(), short_answers(16), home_.filePath("remove.sqlite").toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.addDocuments({sample(), other});
        QTRY_VERIFY_WITH_TIMEOUT(w.documents().rowCount() == 2 && !w.isBusy(), kTimeout);
        w.ask("What does the cafe serve on Fridays?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        const qint64 firstRead = w.messages().messages().last().turn.readTokens;
        w.removeDocument(0);
        QTRY_VERIFY_WITH_TIMEOUT(w.documents().rowCount() == 1 && !w.isBusy(), kTimeout);
        QVERIFY(w.documents().documents().first().path.endsWith("menu.txt"));
        w.ask("What does the cafe serve on Fridays?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        const qint64 secondRead = w.messages().messages().last().turn.readTokens;
        QVERIFY2(secondRead > 0 && secondRead < firstRead / 2,   // read again, without the report
                 qPrintable(QString("%1 then %2").arg(firstRead).arg(secondRead)));
        QCOMPARE(w.sessions().sessions().first().documents, 1);
    }

    void settings_describe_the_model_and_apply() {
        QTemporaryDir dir;
        const QString junk = dir.filePath("junk.gguf");
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("GGUF but not really");
        f.close();
        glimpse::ui::AppSettings settings;
        settings.model = junk;
        glimpse::ui::SettingsDialog dialog(settings);
        QVERIFY2(dialog.modelSummary()->text().startsWith("Not a model"), qPrintable(dialog.modelSummary()->text()));
        dialog.modelEdit()->setText(QString::fromStdString(test_support::default_model().string()));
        QVERIFY2(dialog.modelSummary()->text().contains("30 layers"), qPrintable(dialog.modelSummary()->text()));
        dialog.budgetBox()->setValue(512);
        dialog.policyBox()->setCurrentIndex(dialog.policyBox()->findData("snapkv"));
        const auto chosen = dialog.settings();
        QCOMPARE(chosen.budget, 512);
        QCOMPARE(chosen.policy, QString("snapkv"));

        MainWindow w(default_choice(), short_answers(8), home_.filePath("settings.sqlite").toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.applySettings(chosen);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QVERIFY2(w.gauge()->text().contains("budget 512") && w.gauge()->text().contains("snapkv"),
                 qPrintable(w.gauge()->text()));
        QCOMPARE(glimpse::ui::AppSettings::load(), chosen);   // kept for the next start
    }

    void without_a_model_the_first_run_page_says_how_to_get_one() {
        qputenv("GLIMPSE_MODEL", home_.filePath("no-such-model.gguf").toUtf8());
        glimpse::ModelChoice none;   // the default model, which is not there
        MainWindow w(none, short_answers(8), home_.filePath("first-run.sqlite").toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        qunsetenv("GLIMPSE_MODEL");
        QVERIFY(w.showsFirstRun());
        bool explained = false;
        for (auto* label : w.findChildren<QLabel*>())
            explained |= label->isVisible() && label->text().contains("fetch-model") &&
                         label->text().contains("no-such-model.gguf");
        QVERIFY(explained);
        w.ask("Anything?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QVERIFY(w.errorLabel()->text().contains("No model"));
    }

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
        const int renders_before = w.renders();
        QElapsedTimer clock;
        clock.start();
        type_and_enter(w, "What is the entrance code for the night tours?");
        QVERIFY(w.input()->toPlainText().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        QCOMPARE(w.messages().rowCount(), 2);
        const auto& answer = w.messages().messages().last();
        QVERIFY2(answer.text.contains("PELICAN-47"), qPrintable(answer.text));
        QVERIFY(streamed > 2);                       // pieces arrived one by one
        // Re-rendered at most 20 times a second (every 50 ms), plus the finished answer once.
        const int renders = w.renders() - renders_before;
        QVERIFY2(renders <= clock.elapsed() / 50 + 2, qPrintable(QString("%1 renders in %2 ms").arg(renders).arg(clock.elapsed())));
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

    void a_cited_pdf_page_is_drawn_with_its_passage_marked() {
        MainWindow w(default_choice(), short_answers(24), home_.filePath("pdf.sqlite").toStdString());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        w.addDocuments({sample_pdf()});
        QTRY_VERIFY_WITH_TIMEOUT(w.documents().rowCount() == 1 && !w.isBusy(), kTimeout);
        QCOMPARE(w.documents().documents().first().pages, 4);
        QVERIFY(w.documents().documents().first().tokens > 700);   // about 890 with the page markers
        w.ask("What is the entrance code for the night tours?");
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kTimeout);
        const auto& turn = w.messages().messages().last().turn;
        QVERIFY2(turn.answer.contains("PELICAN-47"), qPrintable(turn.answer));
        QVERIFY(!turn.cited.isEmpty());
        QCOMPARE(turn.cited.first().page, 4);   // the code is on the last page
        QTRY_VERIFY(w.documents().documents().first().keptShare > 0.99);   // a short document stays whole
        QVERIFY(w.documents().data(w.documents().index(0)).toString().contains("100% kept"));
        w.showPage(0, 4, turn.cited.first().passages);
        auto* view = w.findChild<glimpse::ui::PageView*>();
        QVERIFY(view);
        QVERIFY(view->showsPdf());
        QVERIFY2(view->highlighted().join(" ").contains("PELICAN-47"), qPrintable(view->highlighted().join(" | ")));
        QVERIFY(!view->marks().isEmpty());   // drawn over the words, from the word boxes
        for (const QRectF& m : view->marks()) QVERIFY(m.top() > 0 && m.bottom() < 842 && m.right() < 595);   // A4 points
        view->close();
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

private:
    QTemporaryDir home_;
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
