#include "app/eval/eval_record.h"

#include "engine/error.h"

#include <cmath>
#include <map>
#include <tuple>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

// Report order: what answers lose first (ΔNLL, accuracy, the expected answer's NLL), then
// attention recall, the quantity LookaheadKV is trained on and so never its only evidence,
// then the costs.
constexpr std::array<EvalMetric, kEvalMetricCount> kMetrics = {
    EvalMetric::Dnll,      EvalMetric::Correct,  EvalMetric::AnswerNll, EvalMetric::Recall,   EvalMetric::EvictMs,
    EvalMetric::PrefillMs, EvalMetric::KeptBytes, EvalMetric::RowsMs,   EvalMetric::ScoringMs};

}  // namespace

std::span<const EvalMetric> all_eval_metrics() { return kMetrics; }

std::span<const EvalMetric> quality_eval_metrics() { return std::span<const EvalMetric>(kMetrics).first(4); }

std::string_view eval_metric_name(EvalMetric metric) {
    switch (metric) {
        case EvalMetric::Recall: return "recall";
        case EvalMetric::Dnll: return "dnll";
        case EvalMetric::Correct: return "correct";
        case EvalMetric::AnswerNll: return "answer_nll";
        case EvalMetric::EvictMs: return "evict_ms";
        case EvalMetric::PrefillMs: return "prefill_ms";
        case EvalMetric::KeptBytes: return "kept_bytes";
        case EvalMetric::RowsMs: return "rows_ms";
        case EvalMetric::ScoringMs: return "scoring_ms";
    }
    throw Error("unknown eval metric id");
}

double EvalRecord::value(EvalMetric metric) const {
    switch (metric) {
        case EvalMetric::Recall: return recall;
        case EvalMetric::Dnll: return dnll;
        case EvalMetric::Correct: return correct;
        case EvalMetric::AnswerNll: return answer_nll;
        case EvalMetric::EvictMs: return evict_ms;
        case EvalMetric::PrefillMs: return prefill_ms;
        case EvalMetric::KeptBytes: return kept_bytes;
        case EvalMetric::RowsMs: return rows_ms;
        case EvalMetric::ScoringMs: return scoring_ms;
    }
    throw Error("unknown eval metric id");
}

std::vector<RecordGroup> summarise_records(std::span<const EvalRecord> records, GroupFields fields) {
    using Key = std::tuple<std::string, int64_t, std::string, std::string, int64_t>;
    std::map<Key, std::vector<const EvalRecord*>> groups;
    for (const auto& record : records) {
        Key key{fields.policy ? record.policy : std::string(), fields.budget ? record.budget : 0,
                fields.setting ? record.setting : std::string(), fields.task ? record.task : std::string(),
                fields.length ? record.length : 0};
        groups[key].push_back(&record);
    }
    std::vector<RecordGroup> out;
    for (const auto& [key, members] : groups) {
        RecordGroup group;
        std::tie(group.policy, group.budget, group.setting, group.task, group.length) = key;
        group.records = members.size();
        for (EvalMetric metric : kMetrics) {
            std::vector<double> values;
            for (const EvalRecord* record : members) {
                const double value = record->value(metric);
                if (std::isfinite(value)) values.push_back(value);
            }
            group.metrics[static_cast<size_t>(metric)] = mean_with_ci95(values);
        }
        out.push_back(std::move(group));
    }
    return out;
}

}  // namespace glimpse::eval
