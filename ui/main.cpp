// glimpse: the desktop window. `glimpse [FILE...]` opens a new session with those documents
// (for "Open with Glimpse"). Settings come from the Settings dialog; options given here
// override them for this run.

#include "ui/app_settings.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLabel>
#include <QTimer>

#include <cstdio>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("glimpse");
    QApplication::setOrganizationName("glimpse");
    QApplication::setApplicationDisplayName("Glimpse");
    QApplication::setDesktopFileName("glimpse");

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::tr("Ask questions about long documents with a local LLM."));
    parser.addHelpOption();
    QCommandLineOption model({"m", "model"}, QApplication::tr("GGUF model file (default: as in Settings)."), "file");
    QCommandLineOption policy("policy", QApplication::tr("KV eviction policy (default: as in Settings)."), "name");
    QCommandLineOption budget("budget", QApplication::tr("KV tokens kept per KV head and layer (default: as in Settings, 2048)."), "tokens");
    QCommandLineOption threads({"t", "threads"}, QApplication::tr("CPU threads (default: as in Settings, all)."), "n");
    // For checking an installed copy: starts, reports what the window shows once the model
    // is open (or the first-run page is up) on stdout, and quits.
    QCommandLineOption quitWhenReady("quit-when-ready", QApplication::tr("Start, say what the window shows once ready, and quit."));
    parser.addOptions({model, policy, budget, threads, quitWhenReady});
    parser.addPositionalArgument("files", QApplication::tr("PDF, text or Markdown documents to open in a new session."), "[FILE...]");
    parser.process(app);

    glimpse::ui::AppSettings settings = glimpse::ui::AppSettings::load();
    if (parser.isSet(model)) settings.model = parser.value(model);
    if (parser.isSet(policy)) settings.policy = parser.value(policy);
    if (parser.isSet(budget)) settings.budget = parser.value(budget).toLongLong();
    if (parser.isSet(threads)) settings.threads = parser.value(threads).toInt();

    glimpse::ui::MainWindow window(settings.modelChoice(), settings.conversationOptions());
    window.show();
    window.addDocuments(parser.positionalArguments());
    QTimer ready;
    if (parser.isSet(quitWhenReady)) {
        QObject::connect(&ready, &QTimer::timeout, &app, [&] {
            if (window.isBusy()) return;
            std::printf("glimpse: %s\n", window.showsFirstRun() ? "first-run page (no model)"
                                                                 : qPrintable("ready: " + window.gauge()->text()));
            app.quit();
        });
        ready.start(100);
    }
    return app.exec();
}
