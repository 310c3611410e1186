#pragma once
// All engine work of the window, on one QThread: opening the model, reading documents,
// answering. Requests arrive as queued slot calls, results leave as queued signals carrying
// values (engine_values.h); the window stops work through an atomic flag, never a lock.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "ui/engine_values.h"

#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <optional>

namespace glimpse::ui {

class EngineWorker : public QObject {
    Q_OBJECT

public:
    EngineWorker(ModelChoice choice, ConversationOptions options);
    ~EngineWorker() override;

    // From any thread: stops the reading or answer in progress (the session stays as it was
    // before a cancelled reading; a stopped answer keeps what was said).
    void cancel() { cancel_ = true; }

public slots:
    void openModel();
    // Adds documents to the conversation; the next question reads them all.
    void addDocuments(const QStringList& paths);
    void ask(const QString& question);

signals:
    void modelOpened(const glimpse::ui::ModelInfo& model);
    void documentAdded(const glimpse::ui::DocumentInfo& document);
    void progress(const glimpse::ui::ReadingProgress& progress);
    void answerPiece(const QString& piece);
    void turnFinished(const glimpse::ui::TurnInfo& turn);
    // A message a person can act on; `cancelled` when it was their own Stop or Cancel.
    void failed(const QString& message, bool cancelled);
    void idle();

private:
    ModelChoice choice_;
    ConversationOptions options_;
    std::optional<LoadedModel> model_;
    std::vector<PromptDocument> documents_;
    std::unique_ptr<Conversation> conversation_;
    std::atomic<bool> cancel_{false};
};

}  // namespace glimpse::ui
