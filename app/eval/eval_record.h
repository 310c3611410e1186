#pragma once
// One measured run of the evaluation harness, and grouping of runs into means with 95%
// confidence intervals by (policy, budget, setting, task, length).

#include "app/eval/statistics.h"

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glimpse::eval {

enum class EvalMetric { Recall, Dnll, Correct, EvictMs, PrefillMs, KeptBytes, RowsMs, ScoringMs, AnswerNll };
inline constexpr size_t kEvalMetricCount = 9;

// Every metric in report order: the answer-quality ones first (dnll, correct, answer_nll),
// then recall, then the costs (evict_ms, prefill_ms, kept_bytes, rows_ms, scoring_ms).
std::span<const EvalMetric> all_eval_metrics();
// Column names: "dnll", "correct", "answer_nll", "recall", "evict_ms", ... as above.
std::string_view eval_metric_name(EvalMetric metric);
// The metrics the per-family tables show: dnll, correct, answer_nll, recall.
std::span<const EvalMetric> quality_eval_metrics();

// A metric that was not measured (say `correct` of a free-form task) is NaN and is left out
// of means.
struct EvalRecord {
    static constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
    std::string policy;
    int64_t budget = 0;
    std::string setting;
    std::string task;
    int64_t length = 0;
    double recall = kMissing;
    double dnll = kMissing;
    double correct = kMissing;
    // Mean NLL per token of the first accepted answer, teacher-forced after the question on
    // the compressed cache: whether the cache still holds the answer, however a small model
    // words its own reply.
    double answer_nll = kMissing;
    double evict_ms = kMissing;
    double prefill_ms = kMissing;
    double kept_bytes = kMissing;
    // evict_ms split for the one-pass policies: running LookaheadKV's rows through the model
    // (0 for the others), and scoring plus selection. Missing for the draft policies, whose
    // evict_ms is mostly drafting.
    double rows_ms = kMissing;
    double scoring_ms = kMissing;

    double value(EvalMetric metric) const;
};

// Which key fields form the groups; fields left out are merged (strings empty, numbers 0).
struct GroupFields {
    bool policy = true;
    bool budget = true;
    bool setting = true;
    bool task = true;
    bool length = true;
};

struct RecordGroup {
    std::string policy;
    int64_t budget = 0;
    std::string setting;
    std::string task;
    int64_t length = 0;
    size_t records = 0;
    std::array<MeanInterval, kEvalMetricCount> metrics;

    const MeanInterval& metric(EvalMetric m) const { return metrics[static_cast<size_t>(m)]; }
};

// Groups sorted by (policy, budget, setting, task, length).
std::vector<RecordGroup> summarise_records(std::span<const EvalRecord> records, GroupFields fields = {});

}  // namespace glimpse::eval
