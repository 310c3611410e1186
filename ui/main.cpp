// glimpse: the desktop window. `glimpse [FILE...]` opens a conversation with those documents.

#include "core/model_setup.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("glimpse");
    QApplication::setOrganizationName("glimpse");
    QApplication::setApplicationDisplayName("Glimpse");

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::tr("Ask questions about long documents with a local LLM."));
    parser.addHelpOption();
    QCommandLineOption model({"m", "model"}, QApplication::tr("GGUF model file (default: the default model)."), "file");
    QCommandLineOption policy("policy", QApplication::tr("KV eviction policy (default: lookahead with an adapter, else snapkv)."), "name");
    QCommandLineOption budget("budget", QApplication::tr("KV tokens kept per KV head and layer (default 2048)."), "tokens", "2048");
    QCommandLineOption threads({"t", "threads"}, QApplication::tr("CPU threads (default: all)."), "n", "0");
    // For the installer's check that the installed app starts and shows its window.
    QCommandLineOption quitAfterShow("quit-after-show", QApplication::tr("Show the window, then quit."));
    parser.addOptions({model, policy, budget, threads, quitAfterShow});
    parser.addPositionalArgument("files", QApplication::tr("PDF, text or Markdown documents to open."), "[FILE...]");
    parser.process(app);

    glimpse::ModelChoice choice;
    choice.model = parser.value(model).toStdString();
    choice.policy = parser.value(policy).toStdString();
    choice.policy_options.budget = parser.value(budget).toLongLong();
    choice.threads = parser.value(threads).toInt();
    choice.adapter_dirs = glimpse::shipped_adapter_dirs();
    glimpse::ConversationOptions options;
    options.sampling.max_new_tokens = 512;

    glimpse::ui::MainWindow window(choice, options);
    window.show();
    window.addDocuments(parser.positionalArguments());
    if (parser.isSet(quitAfterShow)) QTimer::singleShot(0, &app, &QApplication::quit);
    return app.exec();
}
