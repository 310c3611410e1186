#include "ui/document_list_model.h"

namespace glimpse::ui {

int DocumentListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(documents_.size()); }

QVariant DocumentListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) return {};
    const DocumentInfo& d = documents_[index.row()];
    switch (role) {
        case Qt::DisplayRole: {
            QString text = d.title + "\n" + (d.pages == 1 ? tr("1 page") : tr("%1 pages").arg(d.pages));
            if (d.tokens > 0) text += tr(", %L1 tokens").arg(d.tokens);
            if (d.ocrPages > 0) text += tr(", %1 read by OCR").arg(d.ocrPages);
            if (d.keptShare >= 0) text += tr(" · %1% kept in the KV cache").arg(d.keptShare * 100.0, 0, 'f', d.keptShare < 0.1 ? 1 : 0);
            for (const QString& w : d.warnings) text += "\n⚠ " + w;
            return text;
        }
        case Qt::ToolTipRole: return d.path;
        case TitleRole: return d.title;
        case PagesRole: return d.pages;
        case WarningsRole: return d.warnings;
        default: return {};
    }
}

void DocumentListModel::add(const DocumentInfo& document) {
    beginInsertRows({}, int(documents_.size()), int(documents_.size()));
    documents_.append(document);
    endInsertRows();
}

void DocumentListModel::remove(int row) {
    if (row < 0 || row >= documents_.size()) return;
    beginRemoveRows({}, row, row);
    documents_.removeAt(row);
    endRemoveRows();
}

void DocumentListModel::setKeptShares(const QList<double>& shares) {
    for (int i = 0; i < documents_.size() && i < shares.size(); ++i) documents_[i].keptShare = shares[i];
    if (!documents_.isEmpty()) emit dataChanged(index(0), index(int(documents_.size()) - 1));
}

void DocumentListModel::setDocuments(const QList<DocumentInfo>& documents) {
    beginResetModel();
    documents_ = documents;
    endResetModel();
}

}  // namespace glimpse::ui
