#pragma once
// The conversation as the window shows it: questions and answers in order, an answer
// growing while it streams. Lives on the GUI thread; the worker's values are appended here.

#include "ui/engine_values.h"

#include <QAbstractListModel>

namespace glimpse::ui {

class MessageListModel : public QAbstractListModel {
    Q_OBJECT

public:
    enum Role { TextRole = Qt::UserRole + 1, IsQuestionRole, StatsRole, StreamingRole };

    struct Message {
        bool question = false;
        QString text;
        bool streaming = false;
        TurnInfo turn;            // for answers: speeds, tokens, cited pages
    };

    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void addQuestion(const QString& text);
    // The answer being streamed: begun by the first piece, finished by finishAnswer.
    void appendToAnswer(const QString& piece);
    void finishAnswer(const TurnInfo& turn);
    // Drops an answer that never began (reading failed or was cancelled) and its question.
    void dropUnansweredQuestion();
    // A stored session's turns, replacing what is shown.
    void setTurns(const QList<PastTurn>& turns);
    // The last answer is sampled again: it streams anew from empty. Returns the old one.
    Message restartLastAnswer();
    // Puts back the answer restartLastAnswer() took (regenerating failed before it began).
    void restoreLastAnswer(const Message& answer);

    const QList<Message>& messages() const { return messages_; }

private:
    QList<Message> messages_;
};

// "17 tokens · 60.6 tok/s · read 970 tokens in 2.9 s"
QString turnStatsText(const TurnInfo& turn);

}  // namespace glimpse::ui
