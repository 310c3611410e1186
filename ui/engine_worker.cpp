#include "ui/engine_worker.h"

#include "core/document_kept_share.h"
#include "core/prompt_document_of.h"
#include "engine/default_model.h"
#include "engine/error.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/policy_registry.h"
#include "engine/model_summary.h"
#include "ingest/ingest_error.h"
#include "ingest/read_document.h"

#include <QFileInfo>

namespace glimpse::ui {
namespace {

QString what_to_do(const engine::Error& e) {
    switch (e.kind()) {
        case engine::ErrorKind::BadFile: return QObject::tr("The file is damaged or not what it claims to be.");
        case engine::ErrorKind::WrongModel: return QObject::tr("It was made for another model; the documents will be read again.");
        case engine::ErrorKind::Io: return QObject::tr("Check that the file exists and can be read, and that the disk has room.");
        case engine::ErrorKind::OutOfMemory: return QObject::tr("Lower the budget in Settings or ask about fewer documents.");
        default: return {};
    }
}

QString text_of(const engine::Error& e) {
    const QString next = what_to_do(e);
    return QString::fromStdString(e.what()) + (next.isEmpty() ? QString() : " " + next);
}

DocumentInfo text_info_of(const store::StoredDocument& d) {
    DocumentInfo info;
    info.title = QString::fromStdString(d.document.title);
    info.path = QString::fromStdString(d.path);
    info.pages = int(d.document.pages.size());
    info.geometry = d.geometry;
    for (const auto& page : d.document.pages) {
        info.pageTexts.append({page.number, QString::fromStdString(page.text)});
        info.characters += info.pageTexts.last().text.size();
    }
    return info;
}

// "0:3,0:4" as stored with a turn.
QList<CitedPage> cited_of(const std::string& stored) {
    QList<CitedPage> out;
    for (const QString& item : QString::fromStdString(stored).split(',', Qt::SkipEmptyParts)) {
        const QStringList parts = item.split(':');
        if (parts.size() == 2) out.append({parts[0].toInt(), parts[1].toInt(), 0.0, {}});
    }
    return out;
}

}  // namespace

DocumentInfo EngineWorker::infoOf(const store::StoredDocument& document) const {
    DocumentInfo info = text_info_of(document);
    if (model_)
        for (const auto& page : document.document.pages)
            info.tokens += qint64(model_->tokenizer.encode(page.text, false, false).size());
    return info;
}

EngineWorker::EngineWorker(ModelChoice choice, ConversationOptions options, std::filesystem::path sessions_db)
    : choice_(std::move(choice)), options_(std::move(options)), sessionsDb_(std::move(sessions_db)) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::openModel() {
    loadModelAndStore();
    emit idle();
}

void EngineWorker::loadModelAndStore() {
    if (choice_.model.empty() && !std::filesystem::exists(engine::default_model_path())) {
        emit modelMissing(QString::fromStdString(engine::default_model_path().string()));
    } else {
        try {
            model_ = open_model(choice_);
            identity_ = store::snapshot_identity(*model_);
            const auto summary = engine::summarize_model(model_->model->file());
            ModelInfo info;
            info.name = QString::fromStdString(model_->path.filename().string());
            // SpecKV drafting with the model itself is shown as the oracle it is.
            info.policy = QString::fromStdString(engine::policy_label(*model_->make_policy(), *model_->model));
            info.budget = model_->policy_options.budget;
            info.threads = model_->backend->threads();
            info.summary = tr("%1, %2 M parameters, %3 layers, context %4")
                               .arg(QString::fromStdString(summary.architecture))
                               .arg(static_cast<double>(summary.parameters) / 1e6, 0, 'f', 1)
                               .arg(summary.layers)
                               .arg(summary.context_length);
            emit modelOpened(info);
        } catch (const engine::Error& e) {
            model_.reset();
            emit failed(tr("The model could not be opened: %1").arg(text_of(e)), false);
        }
    }
    if (!store_) {
        try {
            store_ = std::make_unique<store::SessionStore>(sessionsDb_.empty() ? store::SessionStore::default_path()
                                                                               : sessionsDb_);
        } catch (const engine::Error& e) {
            emit notice(tr("Sessions will not be kept: %1").arg(text_of(e)));
        }
    }
    listSessions();
}

void EngineWorker::reconfigure(const ModelChoice& choice, const ConversationOptions& options) {
    std::optional<store::SessionRecord> current;
    if (stored_) current = stored_->session;
    dropConversation();
    sessionModel_.reset();
    model_.reset();
    choice_ = choice;
    options_ = options;
    loadModelAndStore();
    if (current && model_) {
        try {
            resumeStored(*current);
        } catch (const engine::Error& e) {
            emit failed(text_of(e), false);
        }
    }
    emit idle();
}

void EngineWorker::listSessions() {
    QList<SessionInfo> list;
    if (store_) {
        try {
            for (const auto& r : store_->sessions()) list.append(infoOf(r));
        } catch (const engine::Error& e) {
            emit failed(tr("The sessions could not be listed: %1").arg(text_of(e)), false);
        }
    }
    emit sessionsListed(list);
}

SessionInfo EngineWorker::infoOf(const store::SessionRecord& r) {
    return {r.id, QString::fromStdString(r.name), QString::fromStdString(r.title), int(r.document_count),
            int(r.turn_count), r.updated_at};
}

Conversation* EngineWorker::conversation() { return stored_ ? stored_->conversation.get() : unstored_.get(); }

void EngineWorker::dropConversation() {
    stored_.reset();
    unstored_.reset();
}

std::string EngineWorker::uniqueName(const QString& wanted) {
    QString base = wanted.simplified().left(60);
    if (base.isEmpty()) base = tr("Conversation");
    QString name = base;
    for (int n = 2; store_->find(name.toStdString()); ++n) name = QString("%1 (%2)").arg(base).arg(n);
    return name.toStdString();
}

void EngineWorker::startConversation(const QString& firstQuestion) {
    sessionModel_ = *model_;
    sessionIdentity_ = identity_;
    if (store_) {
        try {
            const QString wanted = documents_.empty() ? firstQuestion : QString::fromStdString(documents_.front().document.title);
            stored_ = store::start_stored_conversation(*store_, uniqueName(wanted), *sessionModel_, options_,
                                                       sessionIdentity_, documents_);
            emit currentSession(infoOf(stored_->session));
            return;
        } catch (const engine::Error& e) {
            emit notice(tr("This conversation will not be kept: %1").arg(text_of(e)));
        }
    }
    std::vector<PromptDocument> docs;
    for (const auto& d : documents_) docs.push_back(d.document);
    unstored_ = std::make_unique<Conversation>(*sessionModel_, options_, std::move(docs));
}

void EngineWorker::resumeStored(const store::SessionRecord& record) {
    dropConversation();
    // Read with what the session was made with, so its snapshot fits, when the model and
    // adapter are the same; otherwise with the current settings (and read again).
    sessionModel_ = *model_;
    if (record.identity.model_fingerprint == identity_.model_fingerprint &&
        record.identity.adapter_fingerprint == identity_.adapter_fingerprint) {
        sessionModel_->policy = record.identity.policy;
        sessionModel_->policy_options.budget = record.identity.budget;
    }
    sessionIdentity_ = store::snapshot_identity(*sessionModel_);
    stored_ = store::resume_stored_conversation(*store_, record, *sessionModel_, options_, sessionIdentity_);
}

void EngineWorker::reportKept() {
    const Conversation* talk = conversation();
    if (!talk || !talk->session()) return;
    QList<double> shares;
    for (double s : document_kept_share(talk->session()->cache(), talk->token_sources(), documents_.size())) shares.append(s);
    emit documentsKept(shares);
}

void EngineWorker::newSession() {
    cancel_ = false;
    dropConversation();
    documents_.clear();
    emit sessionCleared();
    emit idle();
}

void EngineWorker::openSession(qint64 id) {
    cancel_ = false;
    try {
        if (!store_) throw engine::Error(tr("Sessions are not kept on this machine.").toStdString());
        if (!model_) throw engine::Error(tr("No model is open; choose one in Settings.").toStdString());
        std::optional<store::SessionRecord> record;
        for (auto& r : store_->sessions())
            if (r.id == id) record = r;
        if (!record) throw engine::Error(tr("That session no longer exists.").toStdString());
        dropConversation();
        documents_ = store_->documents(id);
        resumeStored(*record);

        OpenedSession opened;
        opened.session = infoOf(*record);
        for (const auto& d : documents_) opened.documents.append(infoOf(d));
        for (const auto& t : store_->turns(id)) {
            TurnInfo turn;
            turn.answer = QString::fromStdString(t.answer);
            turn.readTokens = t.read_tokens;
            turn.readSeconds = t.read_seconds;
            turn.answerTokens = t.answer_tokens;
            turn.answerTokensPerSecond = t.answer_seconds > 0 ? double(t.answer_tokens) / t.answer_seconds : 0.0;
            turn.cited = cited_of(t.cited_pages);
            opened.turns.append({QString::fromStdString(t.question), turn});
        }
        opened.restored = stored_->restored;
        opened.notRestored = QString::fromStdString(stored_->not_restored);
        opened.snapshotBytes = stored_->snapshot_bytes;
        opened.loadSeconds = stored_->load_seconds;
        emit sessionOpened(opened);
        reportKept();
        if (!opened.notRestored.isEmpty())
            emit notice(tr("The saved reading of this session cannot be used (%1); the next question reads the "
                           "documents again.").arg(opened.notRestored));
    } catch (const engine::Error& e) {
        emit failed(tr("The session could not be opened: %1").arg(text_of(e)), false);
    }
    emit idle();
}

void EngineWorker::renameSession(qint64 id, const QString& name) {
    try {
        for (const auto& r : store_ ? store_->sessions() : std::vector<store::SessionRecord>{})
            if (r.id == id) {
                store_->rename(r.name, name.trimmed().toStdString());
                if (stored_ && stored_->session.id == id) {
                    stored_->session.name = name.trimmed().toStdString();
                    emit currentSession(infoOf(stored_->session));
                }
            }
    } catch (const engine::Error& e) {
        emit failed(tr("The session could not be renamed: %1").arg(text_of(e)), false);
    }
    listSessions();
    emit idle();
}

void EngineWorker::deleteSession(qint64 id) {
    try {
        for (const auto& r : store_ ? store_->sessions() : std::vector<store::SessionRecord>{})
            if (r.id == id) {
                if (stored_ && stored_->session.id == id) {
                    dropConversation();
                    documents_.clear();
                    emit sessionCleared();
                }
                store_->remove(r.name);
            }
    } catch (const engine::Error& e) {
        emit failed(tr("The session could not be deleted: %1").arg(text_of(e)), false);
    }
    listSessions();
    emit idle();
}

void EngineWorker::addDocuments(const QStringList& paths) {
    cancel_ = false;
    bool added = false;
    for (const QString& path : paths) {
        const QString name = QFileInfo(path).fileName();
        try {
            auto document = ingest::read_document(path, {}, [&](const ingest::Progress& p) {
                emit progress({tr("Reading %1: page %2 of %3").arg(name).arg(p.page).arg(p.page_count),
                               p.page_count > 0 ? double(p.page) / p.page_count : 0.0, 0.0, 0.0});
            }, &cancel_);
            store::StoredDocument stored = stored_document_of(QFileInfo(path).absoluteFilePath().toStdString(), document);
            DocumentInfo info = infoOf(stored);
            if (!document.title.isEmpty()) info.title = document.title;
            info.ocrPages = document.ocr_page_count;
            info.warnings = document.warnings;
            documents_.push_back(std::move(stored));
            added = true;
            emit documentAdded(info);
        } catch (const ingest::IngestError& e) {
            emit failed(tr("%1 could not be read: %2").arg(name, QString::fromUtf8(e.what())), cancel_.load());
        }
    }
    if (added) documentsChanged();
    emit idle();
}

void EngineWorker::removeDocument(int index) {
    if (index >= 0 && index < int(documents_.size())) {
        documents_.erase(documents_.begin() + index);
        emit documentRemoved(index);
        documentsChanged();
    }
    emit idle();
}

void EngineWorker::documentsChanged() {
    // The next question reads every document again.
    if (!stored_) {
        unstored_.reset();
        return;
    }
    const store::SessionRecord record = stored_->session;
    dropConversation();
    try {
        store_->set_documents(record.id, documents_);
        resumeStored(record);
    } catch (const engine::Error& e) {
        emit failed(tr("The session's documents could not be saved: %1 The conversation goes on unsaved.").arg(text_of(e)),
                    false);
    }
}

TurnCallbacks EngineWorker::callbacks() {
    TurnCallbacks callbacks;
    callbacks.on_progress = [this](const engine::PrefillProgress& p) {
        const double rate = p.seconds > 0 ? double(p.done) / p.n_layers / p.seconds : 0.0;
        const QString stage = QString::fromUtf8(p.stage.data(), qsizetype(p.stage.size()));
        const QString what = stage == "reading" ? tr("Reading the documents") : tr("Reading the documents (%1)").arg(stage);
        emit progress({tr("%1: layer %2 of %3").arg(what).arg(p.layer + 1).arg(p.n_layers),
                       p.total > 0 ? double(p.done) / double(p.total) : 0.0, p.eta_seconds(), rate});
    };
    callbacks.on_piece = [this](std::string_view piece) {
        emit answerPiece(QString::fromUtf8(piece.data(), qsizetype(piece.size())));
    };
    return callbacks;
}

void EngineWorker::finishTurn(const TurnReport& report, const std::string& question, bool regenerated) {
    TurnInfo turn;
    turn.answer = QString::fromStdString(report.answer);
    turn.readTokens = report.read_tokens;
    turn.readSeconds = report.read_seconds;
    turn.answerTokens = report.generation.generated_tokens;
    turn.answerTokensPerSecond = report.generation.tokens_per_second;
    turn.stopped = report.generation.stop_reason == engine::StopReason::Cancelled;
    for (const auto& c : report.cited) {
        CitedPage page{c.document, c.page, c.share, {}};
        for (const auto& r : c.passages) page.passages.append({r.begin, r.end});
        turn.cited.append(page);
    }
    const auto footprint = engine::kv_footprint(conversation()->session()->cache());
    turn.keptBytes = footprint.kept_bytes;
    turn.fullBytes = footprint.full_bytes;
    emit turnFinished(turn);
    reportKept();
    if (!stored_) return;
    try {
        if (regenerated) store::save_regenerated_turn(*store_, *stored_, sessionIdentity_, report);
        else store::save_turn(*store_, *stored_, sessionIdentity_, question, report);
    } catch (const engine::Error& e) {
        emit failed(tr("This answer could not be saved: %1 The conversation goes on.").arg(text_of(e)), false);
    }
    listSessions();
}

void EngineWorker::ask(const QString& question) {
    cancel_ = false;
    if (!model_) {
        emit failed(tr("No model is open; choose one in Settings."), false);
        emit idle();
        return;
    }
    try {
        if (!conversation()) startConversation(question);
        const std::string asked = question.toStdString();
        const TurnReport report = conversation()->ask(asked, callbacks(), &cancel_);
        finishTurn(report, asked, false);
    } catch (const engine::Error& e) {
        const bool cancelled = e.kind() == engine::ErrorKind::Cancelled;
        emit failed(cancelled ? tr("Reading was cancelled; nothing changed. Ask again to read the documents.")
                              : text_of(e),
                    cancelled);
    }
    emit idle();
}

void EngineWorker::regenerate() {
    cancel_ = false;
    try {
        Conversation* talk = conversation();
        if (!talk || !talk->can_regenerate())
            throw engine::Error(tr("There is no answer to regenerate since the session was opened; ask a question.").toStdString());
        finishTurn(talk->regenerate(callbacks(), &cancel_), {}, true);
    } catch (const engine::Error& e) {
        emit failed(text_of(e), e.kind() == engine::ErrorKind::Cancelled);
    }
    emit idle();
}

}  // namespace glimpse::ui
