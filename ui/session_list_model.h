#pragma once
// The stored sessions as the window lists them, newest first: name, documents, turns and
// when it was last used. Lives on the GUI thread; the worker sends fresh lists.

#include "ui/engine_values.h"

#include <QAbstractListModel>

namespace glimpse::ui {

class SessionListModel : public QAbstractListModel {
    Q_OBJECT

public:
    enum Role { IdRole = Qt::UserRole + 1, NameRole, TitleRole, SearchRole };

    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

    void setSessions(const QList<SessionInfo>& sessions);
    const QList<SessionInfo>& sessions() const { return sessions_; }
    // The row of the session with this id, or -1.
    int rowOf(qint64 id) const;

private:
    QList<SessionInfo> sessions_;
};

}  // namespace glimpse::ui
