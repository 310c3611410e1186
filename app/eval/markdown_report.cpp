#include "app/eval/markdown_report.h"

#include "app/eval/report_format.h"

#include <QStringList>

#include <cmath>

namespace glimpse::eval {

namespace {

QString cell(const QString& text) {
    QString escaped = text;
    escaped.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    escaped.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return escaped;
}

QString intervalText(const glimpse::eval::MeanInterval& interval) {
    if (interval.n == 0) return QStringLiteral("–");
    if (!std::isfinite(interval.half_width)) return formatMetricValue(interval.mean);
    return formatMetricValue(interval.mean) + QStringLiteral(" ± ") +
           formatMetricValue(interval.half_width, interval.mean);
}

}  // namespace

QString markdownSummaryTable(std::span<const glimpse::eval::EvalRecord> records) {
    glimpse::eval::GroupFields fields;
    fields.task = false;
    fields.length = false;
    const auto groups = glimpse::eval::summarise_records(records, fields);

    QStringList header{QStringLiteral("policy"), QStringLiteral("budget"), QStringLiteral("setting"), QStringLiteral("n")};
    for (auto metric : glimpse::eval::all_eval_metrics())
        header << QString::fromUtf8(glimpse::eval::eval_metric_name(metric).data());
    QString out = QStringLiteral("| ") + header.join(QStringLiteral(" | ")) + QStringLiteral(" |\n|");
    for (qsizetype i = 0; i < header.size(); ++i) out += i < 3 ? QStringLiteral("---|") : QStringLiteral("---:|");
    out += QLatin1Char('\n');
    for (const auto& group : groups) {
        QStringList row{cell(QString::fromStdString(group.policy)), QString::number(group.budget),
                        cell(QString::fromStdString(group.setting)), QString::number(group.records)};
        for (auto metric : glimpse::eval::all_eval_metrics()) row << intervalText(group.metric(metric));
        out += QStringLiteral("| ") + row.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
    }
    return out;
}

}  // namespace glimpse::eval
