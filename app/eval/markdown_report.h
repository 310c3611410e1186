#pragma once
// The Markdown summary of an evaluation: one row per (policy, budget, setting), each metric
// as "mean ± half-width of the 95% CI".

#include "app/eval/eval_record.h"

#include <QString>

#include <span>

namespace glimpse::eval {

// Columns: policy, budget, setting, n (records), then every metric. A metric with one value
// shows just the mean; with none, "–". Pipes in names are escaped.
QString markdownSummaryTable(std::span<const glimpse::eval::EvalRecord> records);

}  // namespace glimpse::eval
