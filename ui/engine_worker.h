#pragma once
// All engine work of the window, on one QThread: opening the model, the session store,
// reading documents, answering. Requests arrive as queued calls, results leave as queued
// signals carrying values (engine_values.h); the window stops work through an atomic flag,
// never a lock. The store is opened on this thread and used only here.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "store/stored_conversation.h"
#include "ui/engine_values.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>

namespace glimpse::ui {

class EngineWorker : public QObject {
    Q_OBJECT

public:
    // `sessions_db`: the session store's file; empty for the default location
    // (store::SessionStore::default_path()).
    EngineWorker(ModelChoice choice, ConversationOptions options, std::filesystem::path sessions_db = {});
    ~EngineWorker() override;

    // From any thread: stops the reading or answer in progress (the session stays as it was
    // before a cancelled reading; a stopped answer keeps what was said).
    void cancel() { cancel_ = true; }

    // The calls below run on the worker's thread (queued from the window).
    void openModel();
    // New settings: the model is opened again and the conversation starts over from its
    // documents (the stored turns stay).
    void reconfigure(const ModelChoice& choice, const ConversationOptions& options);
    void listSessions();
    // Leaves the current session: no documents, no turns; stored on the first question.
    void newSession();
    void openSession(qint64 id);
    void renameSession(qint64 id, const QString& name);
    void deleteSession(qint64 id);
    // Adds documents to the conversation; the next question reads them all.
    void addDocuments(const QStringList& paths);
    void removeDocument(int index);
    void ask(const QString& question);
    // Samples the last answer again from where it began; nothing is read again.
    void regenerate();

signals:
    void modelOpened(const glimpse::ui::ModelInfo& model);
    // The default model is not installed: the window shows how to get one.
    void modelMissing(const QString& expectedPath);
    void sessionsListed(const QList<glimpse::ui::SessionInfo>& sessions);
    // The current session, after it was created by a first question or renamed.
    void currentSession(const glimpse::ui::SessionInfo& session);
    void sessionOpened(const glimpse::ui::OpenedSession& session);
    void sessionCleared();
    void documentAdded(const glimpse::ui::DocumentInfo& document);
    void documentRemoved(int index);
    void progress(const glimpse::ui::ReadingProgress& progress);
    void answerPiece(const QString& piece);
    void turnFinished(const glimpse::ui::TurnInfo& turn);
    // Per document, the share of its tokens the KV cache keeps.
    void documentsKept(const QList<double>& shares);
    // A message a person can act on; `cancelled` when it was their own Stop or Cancel.
    void failed(const QString& message, bool cancelled);
    // Something worth knowing that is not a failure ("read again because ...").
    void notice(const QString& message);
    void idle();

private:
    // Opens the model as chosen (or says it is missing) and, once, the session store.
    void loadModelAndStore();
    Conversation* conversation();
    void startConversation(const QString& firstQuestion);
    // The conversation over the current documents, restored from the store when it can be.
    void resumeStored(const store::SessionRecord& record);
    void dropConversation();
    std::string uniqueName(const QString& wanted);
    void documentsChanged();
    SessionInfo infoOf(const store::SessionRecord& record);
    void reportKept();
    // Its title, pages and tokens for the open model, as the documents panel lists it.
    DocumentInfo infoOf(const store::StoredDocument& document) const;
    TurnCallbacks callbacks();
    // Tells the window, and saves the turn (or the regenerated answer over the last one).
    void finishTurn(const TurnReport& report, const std::string& question, bool regenerated);

    ModelChoice choice_;
    ConversationOptions options_;
    std::filesystem::path sessionsDb_;
    std::optional<LoadedModel> model_;
    // The model as the current session reads with it: its stored policy and budget, so its
    // snapshot can be used.
    std::optional<LoadedModel> sessionModel_;
    store::SnapshotIdentity identity_;          // of new sessions
    store::SnapshotIdentity sessionIdentity_;   // of the current session
    std::unique_ptr<store::SessionStore> store_;
    std::vector<store::StoredDocument> documents_;
    std::optional<store::StoredConversation> stored_;   // the current session, once stored
    std::unique_ptr<Conversation> unstored_;             // when there is no store
    std::atomic<bool> cancel_{false};
};

}  // namespace glimpse::ui
