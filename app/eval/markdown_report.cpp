#include "app/eval/markdown_report.h"

#include "app/eval/held_out_tasks.h"
#include "app/eval/report_format.h"
#include "engine/eviction/policy_registry.h"

#include <QStringList>

#include <algorithm>
#include <cmath>

namespace glimpse::eval {

namespace {

QString cell(const QString& text) {
    QString escaped = text;
    escaped.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    escaped.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return escaped;
}

QString cell(const std::string& text) { return cell(QString::fromStdString(text)); }

QString intervalText(const glimpse::eval::MeanInterval& interval) {
    if (interval.n == 0) return QStringLiteral("–");
    if (!std::isfinite(interval.half_width)) return formatMetricValue(interval.mean);
    return formatMetricValue(interval.mean) + QStringLiteral(" ± ") +
           formatMetricValue(interval.half_width, interval.mean);
}

// A table whose first `text_columns` columns are left-aligned names, the rest numbers.
QString table(const QStringList& header, qsizetype text_columns, const std::vector<QStringList>& rows) {
    QString out = QStringLiteral("| ") + header.join(QStringLiteral(" | ")) + QStringLiteral(" |\n|");
    for (qsizetype i = 0; i < header.size(); ++i) out += i < text_columns ? QStringLiteral("---|") : QStringLiteral("---:|");
    out += QLatin1Char('\n');
    for (const auto& row : rows) out += QStringLiteral("| ") + row.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
    return out;
}

QStringList metricNames(std::span<const EvalMetric> metrics) {
    QStringList names;
    for (auto metric : metrics) names << QString::fromUtf8(eval_metric_name(metric).data());
    return names;
}

// policy, budget, setting, n, then the metrics of a group.
QStringList groupCells(const RecordGroup& group, std::span<const EvalMetric> metrics) {
    QStringList row{cell(group.policy), QString::number(group.budget), cell(group.setting), QString::number(group.records)};
    for (auto metric : metrics) row << intervalText(group.metric(metric));
    return row;
}

bool isGeneratedTask(const std::string& task) {
    const auto tasks = all_eval_tasks();
    return std::any_of(tasks.begin(), tasks.end(), [&](EvalTask t) { return eval_task_name(t) == task; });
}

QString heldOutText(const std::string& task) {
    if (!isGeneratedTask(task)) return QStringLiteral("–");
    return eval_task_name_is_held_out(task) ? QStringLiteral("yes") : QStringLiteral("no");
}

}  // namespace

QString markdownSummaryTable(std::span<const glimpse::eval::EvalRecord> records) {
    glimpse::eval::GroupFields fields;
    fields.task = false;
    fields.length = false;
    std::vector<QStringList> rows;
    for (const auto& group : summarise_records(records, fields)) rows.push_back(groupCells(group, all_eval_metrics()));
    return table(QStringList{"policy", "budget", "setting", "n"} + metricNames(all_eval_metrics()), 3, rows);
}

QString markdownFamilyTable(std::span<const glimpse::eval::EvalRecord> records) {
    glimpse::eval::GroupFields fields;
    fields.length = false;
    auto groups = summarise_records(records, fields);
    std::stable_sort(groups.begin(), groups.end(), [](const RecordGroup& a, const RecordGroup& b) {
        const bool ha = eval_task_name_is_held_out(a.task), hb = eval_task_name_is_held_out(b.task);
        return ha != hb ? hb : a.task < b.task;
    });
    std::vector<QStringList> rows;
    for (const auto& group : groups)
        rows.push_back(QStringList{cell(group.task), heldOutText(group.task)} + groupCells(group, quality_eval_metrics()));
    return table(QStringList{"family", "held out", "policy", "budget", "setting", "n"} + metricNames(quality_eval_metrics()), 5,
                 rows);
}

QString markdownHeldOutTable(std::span<const glimpse::eval::EvalRecord> records) {
    // The task field carries the side of the split; documents belong to neither.
    std::vector<EvalRecord> sides;
    bool any_held_out = false;
    for (const auto& record : records) {
        if (!isGeneratedTask(record.task)) continue;
        EvalRecord side = record;
        const bool held_out = eval_task_name_is_held_out(record.task);
        any_held_out = any_held_out || held_out;
        side.task = held_out ? "held out" : "trained on";
        sides.push_back(std::move(side));
    }
    if (!any_held_out) return {};
    glimpse::eval::GroupFields fields;
    fields.length = false;
    auto groups = summarise_records(sides, fields);
    std::stable_sort(groups.begin(), groups.end(), [](const RecordGroup& a, const RecordGroup& b) { return a.task > b.task; });
    std::vector<QStringList> rows;
    for (const auto& group : groups) rows.push_back(QStringList{cell(group.task)} + groupCells(group, quality_eval_metrics()));
    return table(QStringList{"families", "policy", "budget", "setting", "n"} + metricNames(quality_eval_metrics()), 4, rows);
}

QString markdownSummary(std::span<const glimpse::eval::EvalRecord> records) {
    QString out = QStringLiteral("## All tasks\n\n") + markdownSummaryTable(records);
    const bool oracle = std::any_of(records.begin(), records.end(),
                                    [](const EvalRecord& r) { return r.policy == engine::kSelfDraftOracle; });
    if (oracle)
        out += QStringLiteral("\n%1 is SpecKV drafting with the evaluated model itself: its greedy draft with the full "
                              "cache is the full-cache response that ΔNLL and recall score, so it is an oracle upper "
                              "bound, not a competitor.\n")
                   .arg(QString::fromUtf8(engine::kSelfDraftOracle.data(), static_cast<qsizetype>(engine::kSelfDraftOracle.size())));
    QStringList held_out;
    for (EvalTask task : held_out_eval_tasks()) held_out << QString::fromUtf8(eval_task_name(task).data());
    out += QStringLiteral("\n## By task family\n\nHeld out of LookaheadKV training (make-data never generates them): %1.\n\n")
               .arg(held_out.join(QStringLiteral(", "))) +
           markdownFamilyTable(records);
    const QString sides = markdownHeldOutTable(records);
    if (!sides.isEmpty()) out += QStringLiteral("\n## Held-out families against the trained-on ones\n\n") + sides;
    return out;
}

}  // namespace glimpse::eval
