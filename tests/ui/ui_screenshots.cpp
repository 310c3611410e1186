// Saves screenshots of the window's main states, as a person would see them: the first run
// without a model, reading a document, an answer with its cited pages, the page view, the
// settings, and a session reopened from the store. Run by scripts/ui-screenshots under Xvfb
// with a fresh HOME; writes PNGs into the folder given as its argument.

#include "test_support.h"

#include "ui/main_window.h"
#include "ui/page_view.h"
#include "ui/settings_dialog.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTest>

#include <functional>

namespace {

bool wait_for(const std::function<bool()>& done, int ms = 180000) {
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms) QTest::qWait(20);
    return done();
}

void save(QWidget* w, const QDir& dir, const QString& name) {
    QApplication::processEvents();
    w->grab().save(dir.filePath(name));
    qInfo("saved %s", qPrintable(dir.filePath(name)));
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("glimpse-screenshots");
    const QDir out(argc > 1 ? argv[1] : ".");
    glimpse::ModelChoice choice;
    choice.model = test_support::default_model();
    choice.adapter_dirs = {test_support::source_dir() / "resources/lookahead"};
    glimpse::ConversationOptions options;
    options.sampling.max_new_tokens = 64;

    {
        qputenv("GLIMPSE_MODEL", "/nonexistent/SmolLM2-135M-Instruct.Q4_1.gguf");
        glimpse::ui::MainWindow first(glimpse::ModelChoice{}, options);
        first.resize(1180, 740);
        first.show();
        if (!wait_for([&] { return !first.isBusy(); })) return 1;
        qunsetenv("GLIMPSE_MODEL");
        save(&first, out, "1-first-run.png");
    }

    auto w = std::make_unique<glimpse::ui::MainWindow>(choice, options);
    w->resize(1180, 740);
    w->show();
    if (!wait_for([&] { return !w->isBusy(); })) return 1;
    w->addDocuments({QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.pdf").string())});
    if (!wait_for([&] { return w->documents().rowCount() == 1 && !w->isBusy(); })) return 1;
    w->input()->setPlainText("What is the entrance code for the night tours?");
    w->ask(w->input()->toPlainText());
    if (!wait_for([&] { return w->cancelButton()->isVisibleTo(w.get()); })) return 1;
    QTest::qWait(600);
    save(w.get(), out, "2-reading.png");

    if (!wait_for([&] { return !w->isBusy(); })) return 1;
    save(w.get(), out, "3-answer.png");

    const auto& turn = w->messages().messages().last().turn;
    if (turn.cited.isEmpty()) return 1;
    w->showPage(turn.cited.first().document, turn.cited.first().page, turn.cited.first().passages);
    auto* view = w->findChild<glimpse::ui::PageView*>();
    QTest::qWait(300);
    save(view, out, "4-page-view.png");
    view->close();

    {
        glimpse::ui::SettingsDialog settings(glimpse::ui::AppSettings::load(), w.get());
        settings.show();
        QTest::qWait(300);
        save(&settings, out, "5-settings.png");
    }
    w->close();
    w.reset();

    // Started again: the session is in the list, and opening it needs no reading.
    glimpse::ui::MainWindow again(choice, options);
    again.resize(1180, 740);
    again.show();
    if (!wait_for([&] { return !again.isBusy() && again.sessions().rowCount() == 1; })) return 1;
    again.openSession(again.sessions().sessions().first().id);
    if (!wait_for([&] { return !again.isBusy() && again.messages().rowCount() == 2; })) return 1;
    again.input()->setPlainText("Who designed the lighthouse?");
    again.ask(again.input()->toPlainText());
    if (!wait_for([&] { return !again.isBusy(); })) return 1;
    save(&again, out, "6-resumed.png");
    return 0;
}