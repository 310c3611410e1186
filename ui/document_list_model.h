#pragma once
// The conversation's documents as the window lists them: title, pages, OCR pages, warnings.

#include "ui/engine_values.h"

#include <QAbstractListModel>

namespace glimpse::ui {

class DocumentListModel : public QAbstractListModel {
    Q_OBJECT

public:
    enum Role { TitleRole = Qt::UserRole + 1, PagesRole, WarningsRole };

    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

    void add(const DocumentInfo& document);
    void remove(int row);
    void setDocuments(const QList<DocumentInfo>& documents);
    // One share per document, in order.
    void setKeptShares(const QList<double>& shares);
    const QList<DocumentInfo>& documents() const { return documents_; }

private:
    QList<DocumentInfo> documents_;
};

}  // namespace glimpse::ui
