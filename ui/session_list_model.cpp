#include "ui/session_list_model.h"

#include <QDateTime>
#include <QLocale>

namespace glimpse::ui {

int SessionListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(sessions_.size()); }

QVariant SessionListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const SessionInfo& s = sessions_[index.row()];
    switch (role) {
        case Qt::DisplayRole: {
            const QString when = QLocale().toString(QDateTime::fromSecsSinceEpoch(s.updatedAt), QLocale::ShortFormat);
            QString line = s.documents == 1 ? tr("1 document") : tr("%1 documents").arg(s.documents);
            line += " · " + (s.turns == 1 ? tr("1 question") : tr("%1 questions").arg(s.turns));
            return s.name + "\n" + line + " · " + when;
        }
        case Qt::ToolTipRole: return s.title;
        case Qt::AccessibleTextRole: return s.name;
        case IdRole: return s.id;
        case NameRole: return s.name;
        case TitleRole: return s.title;
        case SearchRole: return s.name + '\n' + s.title;
        default: return {};
    }
}

void SessionListModel::setSessions(const QList<SessionInfo>& sessions) {
    beginResetModel();
    sessions_ = sessions;
    endResetModel();
}

int SessionListModel::rowOf(qint64 id) const {
    for (int i = 0; i < sessions_.size(); ++i)
        if (sessions_[i].id == id) return i;
    return -1;
}

}  // namespace glimpse::ui
