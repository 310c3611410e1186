// Saves screenshots of the window's main states, as a person would see them: the empty
// window, reading a document, an answer with its cited pages, the page view. Run by
// scripts/ui-screenshots under Xvfb; writes PNGs into the folder given as its argument.

#include "test_support.h"

#include "ui/main_window.h"
#include "ui/page_view.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
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

    glimpse::ui::MainWindow w(choice, options);
    w.resize(1100, 700);
    w.show();
    if (!wait_for([&] { return !w.isBusy(); })) return 1;
    save(&w, out, "1-empty.png");

    w.addDocuments({QString::fromStdString((test_support::source_dir() / "resources/samples/harbor-light-report.md").string())});
    if (!wait_for([&] { return w.documents().rowCount() == 1 && !w.isBusy(); })) return 1;
    w.input()->setPlainText("What is the entrance code for the night tours?");
    w.ask(w.input()->toPlainText());
    if (!wait_for([&] { return w.cancelButton()->isVisibleTo(&w); })) return 1;
    QTest::qWait(600);
    save(&w, out, "2-reading.png");

    if (!wait_for([&] { return !w.isBusy(); })) return 1;
    save(&w, out, "3-answer.png");

    const auto& turn = w.messages().messages().last().turn;
    if (turn.cited.isEmpty()) return 1;
    w.showPage(turn.cited.first().document, turn.cited.first().page, turn.cited.first().passages);
    auto* view = w.findChild<glimpse::ui::PageView*>();
    QTest::qWait(300);
    save(view, out, "4-page-view.png");
    return 0;
}
