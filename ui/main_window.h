#pragma once
// The Glimpse window: the conversation in the centre (Markdown, streamed, with the pages
// each answer drew on as links), the documents on the right, reading progress with an ETA
// and Cancel, and a status bar gauge of the KV cache kept. All engine work runs on the
// EngineWorker's thread.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "ui/document_list_model.h"
#include "ui/engine_values.h"
#include "ui/message_list_model.h"

#include <QMainWindow>
#include <QThread>
#include <QTimer>

class QLabel;
class QListView;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTextBrowser;

namespace glimpse::ui {

class EngineWorker;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    MainWindow(ModelChoice choice, ConversationOptions options, QWidget* parent = nullptr);
    ~MainWindow() override;

    void addDocuments(const QStringList& paths);
    void ask(const QString& question);

    // For tests and accessibility tools: the parts a person reads and clicks.
    MessageListModel& messages() { return messages_; }
    DocumentListModel& documents() { return documents_; }
    QTextBrowser* conversationView() const { return conversation_; }
    QPlainTextEdit* input() const { return input_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* cancelButton() const { return cancel_; }
    QLabel* errorLabel() const { return error_; }
    QLabel* gauge() const { return gauge_; }
    bool isBusy() const { return busy_; }
    int renders() const { return renders_; }
    // Shows a page of a document with the given passages (UTF-8 byte ranges) highlighted.
    void showPage(int document, int page, const QList<QPair<int, int>>& passages);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void buildWidgets();
    void connectWorker();
    void setBusy(bool busy);
    void render();
    void scheduleRender();
    void showError(const QString& message);
    void updateGauge(const TurnInfo* turn);
    void openCitation(const QUrl& link);
    void chooseDocuments();

    QThread workerThread_;
    EngineWorker* worker_ = nullptr;
    MessageListModel messages_;
    DocumentListModel documents_;
    ModelInfo model_;
    QTimer renderTimer_;
    int renders_ = 0;
    bool busy_ = false;

    QTextBrowser* conversation_ = nullptr;
    QPlainTextEdit* input_ = nullptr;
    QPushButton* send_ = nullptr;
    QPushButton* stop_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressText_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QLabel* error_ = nullptr;
    QListView* documentList_ = nullptr;
    QLabel* gauge_ = nullptr;
};

}  // namespace glimpse::ui
