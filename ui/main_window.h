#pragma once
// The Glimpse window: stored sessions on the left (search, new, rename, delete), the
// conversation in the centre (Markdown, streamed, with the pages each answer drew on as
// links), the documents on the right, reading progress with an ETA and Cancel, and a status
// bar gauge of the KV cache kept. Without a model it shows how to get one. All engine work
// runs on the EngineWorker's thread.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "ui/app_settings.h"
#include "ui/document_list_model.h"
#include "ui/engine_values.h"
#include "ui/message_list_model.h"
#include "ui/session_list_model.h"

#include <QMainWindow>
#include <QSortFilterProxyModel>
#include <QThread>
#include <QTimer>

#include <filesystem>
#include <functional>

class QLabel;
class QLineEdit;
class QListView;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTextBrowser;

namespace glimpse::ui {

class EngineWorker;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    // `sessionsDb`: the session store's file; empty for the default location.
    MainWindow(ModelChoice choice, ConversationOptions options, std::filesystem::path sessionsDb = {},
               QWidget* parent = nullptr);
    ~MainWindow() override;

    void addDocuments(const QStringList& paths);
    void removeDocument(int row);
    void ask(const QString& question);
    // Samples the last answer again from where it began (no reading).
    void regenerate();
    bool canRegenerate() const { return canRegenerate_; }
    void newSession();
    void openSession(qint64 id);
    void renameSession(qint64 id, const QString& name);
    // Asks for confirmation first unless `confirmed`.
    void deleteSession(qint64 id, bool confirmed = false);
    // Opens the model and settings again with these (the Settings dialog's OK).
    void applySettings(const AppSettings& settings);
    void showSettings();

    // For tests and accessibility tools: the parts a person reads and clicks.
    MessageListModel& messages() { return messages_; }
    DocumentListModel& documents() { return documents_; }
    SessionListModel& sessions() { return sessions_; }
    qint64 currentSessionId() const { return currentSession_.id; }
    QTextBrowser* conversationView() const { return conversation_; }
    QPlainTextEdit* input() const { return input_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* cancelButton() const { return cancel_; }
    QLabel* errorLabel() const { return error_; }
    QLabel* noticeLabel() const { return notice_; }
    QLabel* gauge() const { return gauge_; }
    QLineEdit* sessionSearch() const { return search_; }
    QListView* sessionList() const { return sessionList_; }
    // The first-run page is showing: no model.
    bool showsFirstRun() const;
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
    QWidget* buildSessionsPanel();
    QWidget* buildConversationPanel();
    QWidget* buildDocumentsPanel();
    QWidget* buildFirstRunPage();
    void buildMenus();
    void connectWorker();
    // Queues `work` on the worker's thread and marks the window busy until it is idle.
    void run(std::function<void(EngineWorker&)> work);
    void setBusy(bool busy);
    void render();
    void scheduleRender();
    void showError(const QString& message);
    void showNotice(const QString& message);
    void updateGauge(const TurnInfo* turn);
    void openLink(const QUrl& link);
    void chooseDocuments();
    void chooseModelFile();
    void selectCurrentSession();
    qint64 selectedSessionId() const;

    QThread workerThread_;
    EngineWorker* worker_ = nullptr;
    AppSettings settings_;
    MessageListModel messages_;
    DocumentListModel documents_;
    SessionListModel sessions_;
    QSortFilterProxyModel sessionFilter_;
    SessionInfo currentSession_;
    ModelInfo model_;
    QTimer renderTimer_;
    int renders_ = 0;
    bool busy_ = false;
    bool canRegenerate_ = false;   // an answer was given since the session was read or opened
    bool regenerating_ = false;
    MessageListModel::Message previousAnswer_;

    QStackedWidget* centre_ = nullptr;
    QTextBrowser* conversation_ = nullptr;
    QPlainTextEdit* input_ = nullptr;
    QPushButton* send_ = nullptr;
    QPushButton* stop_ = nullptr;
    QWidget* progressBox_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* progressText_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QLabel* error_ = nullptr;
    QLabel* notice_ = nullptr;
    QLabel* firstRunText_ = nullptr;
    QLineEdit* search_ = nullptr;
    QListView* sessionList_ = nullptr;
    QListView* documentList_ = nullptr;
    QPushButton* removeDocument_ = nullptr;
    QLabel* gauge_ = nullptr;
};

}  // namespace glimpse::ui
