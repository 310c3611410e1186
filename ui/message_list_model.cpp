#include "ui/message_list_model.h"

namespace glimpse::ui {

int MessageListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(messages_.size()); }

QVariant MessageListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const Message& m = messages_[index.row()];
    switch (role) {
        case Qt::DisplayRole:
        case TextRole: return m.text;
        case IsQuestionRole: return m.question;
        case StatsRole: return m.question || m.streaming ? QString() : turnStatsText(m.turn);
        case StreamingRole: return m.streaming;
        default: return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const {
    return {{TextRole, "text"}, {IsQuestionRole, "isQuestion"}, {StatsRole, "stats"}, {StreamingRole, "streaming"}};
}

void MessageListModel::addQuestion(const QString& text) {
    beginInsertRows({}, int(messages_.size()), int(messages_.size()));
    messages_.append({true, text, false, {}});
    endInsertRows();
}

void MessageListModel::appendToAnswer(const QString& piece) {
    if (messages_.isEmpty() || !messages_.last().streaming) {
        beginInsertRows({}, int(messages_.size()), int(messages_.size()));
        messages_.append({false, QString(), true, {}});
        endInsertRows();
    }
    messages_.last().text += piece;
    const QModelIndex last = index(int(messages_.size()) - 1);
    emit dataChanged(last, last, {TextRole, Qt::DisplayRole});
}

void MessageListModel::finishAnswer(const TurnInfo& turn) {
    if (messages_.isEmpty() || messages_.last().question) appendToAnswer(QString());   // an empty answer
    Message& m = messages_.last();
    m.text = turn.answer;
    m.streaming = false;
    m.turn = turn;
    const QModelIndex last = index(int(messages_.size()) - 1);
    emit dataChanged(last, last);
}

void MessageListModel::dropUnansweredQuestion() {
    if (messages_.isEmpty() || !messages_.last().question) return;
    beginRemoveRows({}, int(messages_.size()) - 1, int(messages_.size()) - 1);
    messages_.removeLast();
    endRemoveRows();
}

MessageListModel::Message MessageListModel::restartLastAnswer() {
    if (messages_.isEmpty() || messages_.last().question) return {};
    const Message old = messages_.last();
    messages_.last().text.clear();
    messages_.last().streaming = true;
    messages_.last().turn = {};
    const QModelIndex last = index(int(messages_.size()) - 1);
    emit dataChanged(last, last);
    return old;
}

void MessageListModel::restoreLastAnswer(const Message& answer) {
    if (messages_.isEmpty() || messages_.last().question) return;
    messages_.last() = answer;
    const QModelIndex last = index(int(messages_.size()) - 1);
    emit dataChanged(last, last);
}

void MessageListModel::setTurns(const QList<PastTurn>& turns) {
    beginResetModel();
    messages_.clear();
    for (const auto& t : turns) {
        messages_.append({true, t.question, false, {}});
        messages_.append({false, t.turn.answer, false, t.turn});
    }
    endResetModel();
}

QString turnStatsText(const TurnInfo& turn) {
    QString text = QObject::tr("%1 tokens").arg(turn.answerTokens);
    if (turn.answerTokensPerSecond > 0) text += QObject::tr(" · %1 tok/s").arg(turn.answerTokensPerSecond, 0, 'f', 1);
    if (turn.readTokens > 0)
        text += QObject::tr(" · read %1 tokens in %2 s").arg(turn.readTokens).arg(turn.readSeconds, 0, 'f', 1);
    if (turn.stopped) text += QObject::tr(" · stopped");
    return text;
}

}  // namespace glimpse::ui
