#include "app/eval/csv_report.h"

#include "app/eval/held_out_tasks.h"
#include "engine/error.h"

#include <QFile>
#include <QStringList>

#include <cmath>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

QString csvNumber(double value) {
    if (!std::isfinite(value)) return QString();
    if (value == std::floor(value) && std::abs(value) < 1e15) return QString::number(static_cast<qint64>(value));
    return QString::number(value, 'g', 10);
}

// "yes" for a held-out task family, "no" for another generated one, empty for the rest
// (questions about a person's own documents).
QString heldOutField(const std::string& task) {
    if (eval_task_name_is_held_out(task)) return QStringLiteral("yes");
    for (EvalTask t : all_eval_tasks())
        if (eval_task_name(t) == task) return QStringLiteral("no");
    return QString();
}

}  // namespace

QString csvField(const QString& text) {
    const bool needsQuotes = text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
                             text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r')) ||
                             (!text.isEmpty() && (text.front().isSpace() || text.back().isSpace()));
    if (!needsQuotes) return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString recordsCsv(std::span<const glimpse::eval::EvalRecord> records) {
    using glimpse::eval::EvalMetric;
    QStringList header{QStringLiteral("policy"), QStringLiteral("budget"), QStringLiteral("setting"),
                       QStringLiteral("task"), QStringLiteral("held_out"), QStringLiteral("length")};
    for (EvalMetric metric : glimpse::eval::all_eval_metrics())
        header << QString::fromUtf8(glimpse::eval::eval_metric_name(metric).data(),
                                    static_cast<qsizetype>(glimpse::eval::eval_metric_name(metric).size()));
    QString out = header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const auto& record : records) {
        QStringList row{csvField(QString::fromStdString(record.policy)), QString::number(record.budget),
                        csvField(QString::fromStdString(record.setting)), csvField(QString::fromStdString(record.task)),
                        heldOutField(record.task), QString::number(record.length)};
        for (EvalMetric metric : glimpse::eval::all_eval_metrics()) row << csvNumber(record.value(metric));
        out += row.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

void writeRecordsCsv(const QString& path, std::span<const glimpse::eval::EvalRecord> records) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw engine::Error(path.toStdString() + ": cannot write the CSV (" + file.errorString().toStdString() + ")");
    const QByteArray bytes = recordsCsv(records).toUtf8();
    if (file.write(bytes) != bytes.size())
        throw engine::Error(path.toStdString() + ": writing the CSV failed (" + file.errorString().toStdString() + ")");
}

}  // namespace glimpse::eval
