#pragma once
// The Markdown summary of an evaluation, each metric as "mean ± half-width of the 95% CI":
// one row per (policy, budget, setting); then per task family, with the families held out of
// LookaheadKV training marked; then the held-out families together against the rest. Answer
// quality (ΔNLL, accuracy, the expected answer's NLL) comes first, attention recall after it.

#include "app/eval/eval_record.h"

#include <QString>

#include <span>

namespace glimpse::eval {

// Columns: policy, budget, setting, n (records), then every metric in report order. A metric
// with one value shows just the mean; with none, "–". Pipes in names are escaped.
QString markdownSummaryTable(std::span<const glimpse::eval::EvalRecord> records);

// Columns: family (the task), held out ("yes" / "no"; "–" for questions about documents),
// policy, budget, setting, n, then dnll, correct, answer_nll, recall. The families used for
// training come first, then the held-out ones; each sorted by family, policy, budget, setting.
QString markdownFamilyTable(std::span<const glimpse::eval::EvalRecord> records);

// Columns: families ("trained on" for the generated families training prompts are drawn from,
// "held out"), policy, budget, setting, n, then dnll, correct, answer_nll, recall. Empty when
// no record is of a held-out family.
QString markdownHeldOutTable(std::span<const glimpse::eval::EvalRecord> records);

// summary.md: the three tables under headings, and a note saying what an oracle row is
// whenever one is present (engine::kSelfDraftOracle).
QString markdownSummary(std::span<const glimpse::eval::EvalRecord> records);

}  // namespace glimpse::eval
