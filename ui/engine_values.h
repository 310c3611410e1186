#pragma once
// The values that cross from the engine worker to the window in queued signals: plain
// copies, never pointers into the worker's state.

#include "core/page_geometry.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace glimpse::ui {

struct PageText {
    int number = 0;
    QString text;
};

struct DocumentInfo {
    QString title;
    QString path;
    int pages = 0;
    int ocrPages = 0;
    qint64 characters = 0;
    qint64 tokens = 0;           // for the open model; 0 when none is open
    QStringList warnings;
    QList<PageText> pageTexts;   // for showing a cited page
    double keptShare = -1.0;     // of its tokens, the share the KV cache keeps; -1 before it is read
    std::vector<PageGeometry> geometry;   // per page for a PDF: where its words are drawn
};

struct ReadingProgress {
    QString stage;               // "reading file.pdf", "reading the documents (layer 12 of 30)"
    double fraction = 0.0;       // 0..1
    double secondsLeft = 0.0;    // 0 when unknown
    double tokensPerSecond = 0.0;
};

struct CitedPage {
    int document = 0;
    int page = 0;
    double share = 0.0;
    QList<QPair<int, int>> passages;   // UTF-8 byte ranges of the page text
};

struct TurnInfo {
    QString answer;
    qint64 readTokens = 0;
    double readSeconds = 0.0;
    qint64 answerTokens = 0;
    double answerTokensPerSecond = 0.0;
    bool stopped = false;        // cut short by Stop
    QList<CitedPage> cited;
    qint64 keptBytes = 0;        // the KV cache after the turn
    qint64 fullBytes = 0;
};

// A session in the store, as the sessions list shows it.
struct SessionInfo {
    qint64 id = 0;
    QString name;                // unique; `glimpse-cli chat --session NAME` continues it too
    QString title;               // its documents' titles
    int documents = 0;
    int turns = 0;
    qint64 updatedAt = 0;        // seconds since the epoch
};

struct PastTurn {
    QString question;
    TurnInfo turn;
};

// A stored session as it was reopened: its documents and turns, and whether its KV
// snapshot was restored (so the next question reads nothing) or why not.
struct OpenedSession {
    SessionInfo session;
    QList<DocumentInfo> documents;
    QList<PastTurn> turns;
    bool restored = false;
    QString notRestored;
    qint64 snapshotBytes = 0;
    double loadSeconds = 0.0;
};

struct ModelInfo {
    QString name;                // file name
    QString policy;
    qint64 budget = 0;
    int threads = 0;
    QString summary;             // "llama, 134.5 M parameters, 30 layers, context 8192"
};

}  // namespace glimpse::ui

Q_DECLARE_METATYPE(glimpse::ui::DocumentInfo)
Q_DECLARE_METATYPE(glimpse::ui::ReadingProgress)
Q_DECLARE_METATYPE(glimpse::ui::TurnInfo)
Q_DECLARE_METATYPE(glimpse::ui::ModelInfo)
Q_DECLARE_METATYPE(glimpse::ui::SessionInfo)
Q_DECLARE_METATYPE(glimpse::ui::OpenedSession)
