#pragma once
// Plots of one metric against the KV budget: a line per policy through the mean at each
// budget, 95% CI error bars, a log2 budget axis, a legend, axis labels and a title. Drawn
// with QPainter on a QImage, so it needs a QGuiApplication (the offscreen platform will do).

#include "app/eval/eval_record.h"

#include <QImage>
#include <QSize>
#include <QString>
#include <QStringList>

#include <span>

namespace glimpse::eval {

struct MetricPlotOptions {
    QSize size{960, 640};
    QString setting;  // only records of this setting; empty: all records
    QString title;    // empty: "<metric> vs KV budget"
};

// Records with budget <= 0 (a full cache) are drawn as a dashed horizontal reference line.
// Throws engine::Error when no record has a value for the metric.
QImage plotMetricVsBudget(std::span<const glimpse::eval::EvalRecord> records, glimpse::eval::EvalMetric metric,
                          const MetricPlotOptions& options = {});

// Writes "<metric>.png" into `directory` (created if needed) for every metric some record
// has; returns the paths written. Throws engine::Error when a file cannot be written.
QStringList writeMetricPlots(std::span<const glimpse::eval::EvalRecord> records, const QString& directory,
                             const MetricPlotOptions& options = {});

}  // namespace glimpse::eval
