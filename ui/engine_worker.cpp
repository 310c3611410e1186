#include "ui/engine_worker.h"

#include "core/prompt_document_of.h"
#include "engine/error.h"
#include "engine/eviction/kv_footprint.h"
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
        case engine::ErrorKind::Io: return QObject::tr("Check that the file exists and can be read.");
        case engine::ErrorKind::OutOfMemory: return QObject::tr("Lower the budget in Settings or ask about fewer documents.");
        default: return {};
    }
}

}  // namespace

EngineWorker::EngineWorker(ModelChoice choice, ConversationOptions options)
    : choice_(std::move(choice)), options_(std::move(options)) {}

EngineWorker::~EngineWorker() = default;

void EngineWorker::openModel() {
    try {
        model_ = open_model(choice_);
        const auto summary = engine::summarize_model(model_->model->file());
        ModelInfo info;
        info.name = QString::fromStdString(model_->path.filename().string());
        info.policy = QString::fromStdString(model_->policy);
        info.budget = model_->policy_options.budget;
        info.threads = model_->backend->threads();
        info.summary = tr("%1, %2 M parameters, %3 layers, context %4")
                           .arg(QString::fromStdString(summary.architecture))
                           .arg(static_cast<double>(summary.parameters) / 1e6, 0, 'f', 1)
                           .arg(summary.layers)
                           .arg(summary.context_length);
        emit modelOpened(info);
    } catch (const engine::Error& e) {
        emit failed(tr("The model could not be opened: %1 %2").arg(QString::fromStdString(e.what()), what_to_do(e)), false);
    }
    emit idle();
}

void EngineWorker::addDocuments(const QStringList& paths) {
    cancel_ = false;
    for (const QString& path : paths) {
        const QString name = QFileInfo(path).fileName();
        try {
            auto document = ingest::read_document(path, {}, [&](const ingest::Progress& p) {
                emit progress({tr("Reading %1: page %2 of %3").arg(name).arg(p.page).arg(p.page_count),
                               p.page_count > 0 ? double(p.page) / p.page_count : 0.0, 0.0, 0.0});
            }, &cancel_);
            DocumentInfo info;
            info.title = document.title.isEmpty() ? name : document.title;
            info.path = path;
            info.pages = static_cast<int>(document.pages.size());
            info.ocrPages = document.ocr_page_count;
            info.characters = document.character_count();
            info.warnings = document.warnings;
            for (const auto& page : document.pages) info.pageTexts.append({page.number, page.text});
            documents_.push_back(prompt_document_of(document));
            conversation_.reset();   // the next question reads every document
            emit documentAdded(info);
        } catch (const ingest::IngestError& e) {
            emit failed(tr("%1 could not be read: %2").arg(name, QString::fromUtf8(e.what())), cancel_.load());
        }
    }
    emit idle();
}

void EngineWorker::ask(const QString& question) {
    cancel_ = false;
    if (!model_) {
        emit failed(tr("No model is open; choose one in Settings."), false);
        emit idle();
        return;
    }
    try {
        if (!conversation_) conversation_ = std::make_unique<Conversation>(*model_, options_, documents_);
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
        const TurnReport report = conversation_->ask(question.toStdString(), callbacks, &cancel_);
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
        const auto footprint = engine::kv_footprint(conversation_->session()->cache());
        turn.keptBytes = footprint.kept_bytes;
        turn.fullBytes = footprint.full_bytes;
        emit turnFinished(turn);
    } catch (const engine::Error& e) {
        const bool cancelled = e.kind() == engine::ErrorKind::Cancelled;
        emit failed(cancelled ? tr("Reading was cancelled; nothing changed. Ask again to read the documents.")
                              : QString::fromStdString(e.what()) + " " + what_to_do(e),
                    cancelled);
    }
    emit idle();
}

}  // namespace glimpse::ui
