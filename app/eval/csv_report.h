#pragma once
// The per-run CSV of an evaluation: one row per EvalRecord.

#include "app/eval/eval_record.h"

#include <QString>

#include <span>

namespace glimpse::eval {

// RFC 4180 quoting: a field with a comma, a double quote, a line break or surrounding
// spaces is wrapped in double quotes, with inner quotes doubled.
QString csvField(const QString& text);

// Header "policy,budget,setting,task,held_out,length,dnll,correct,answer_nll,recall,evict_ms,
// prefill_ms,kept_bytes,rows_ms,scoring_ms" and one line per record; missing (NaN) metrics are
// empty fields. held_out is "yes" for a family held out of LookaheadKV training
// (held_out_tasks.h), "no" for another generated task, empty for questions about documents.
QString recordsCsv(std::span<const glimpse::eval::EvalRecord> records);

// Writes recordsCsv() to a file; throws engine::Error naming the file when it cannot.
void writeRecordsCsv(const QString& path, std::span<const glimpse::eval::EvalRecord> records);

}  // namespace glimpse::eval
