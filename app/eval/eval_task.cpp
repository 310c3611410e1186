#include "app/eval/eval_task.h"

#include "engine/error.h"
#include "app/eval/task_context.h"

#include <array>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

constexpr std::array<EvalTask, 10> kTasks = {
    EvalTask::NeedleSingle,     EvalTask::NeedleMultiKey, EvalTask::NeedleMultiValue,
    EvalTask::NeedleMultiQuery, EvalTask::VariableTracking, EvalTask::CommonWords,
    EvalTask::FactQa,           EvalTask::FreeSummary,    EvalTask::FreeExplain,
    EvalTask::FreeTopics,
};

}  // namespace

std::string_view eval_task_name(EvalTask task) {
    switch (task) {
        case EvalTask::NeedleSingle: return "niah_single";
        case EvalTask::NeedleMultiKey: return "niah_multikey";
        case EvalTask::NeedleMultiValue: return "niah_multivalue";
        case EvalTask::NeedleMultiQuery: return "niah_multiquery";
        case EvalTask::VariableTracking: return "variable_tracking";
        case EvalTask::CommonWords: return "common_words";
        case EvalTask::FactQa: return "qa_fact";
        case EvalTask::FreeSummary: return "free_summary";
        case EvalTask::FreeExplain: return "free_explain";
        case EvalTask::FreeTopics: return "free_topics";
    }
    throw Error("unknown eval task id");
}

EvalTask eval_task_from_name(std::string_view name) {
    for (EvalTask task : kTasks)
        if (eval_task_name(task) == name) return task;
    std::string known;
    for (EvalTask task : kTasks) known += (known.empty() ? "" : ", ") + std::string(eval_task_name(task));
    throw Error("unknown eval task \"" + std::string(name) + "\" (known: " + known + ")");
}

std::span<const EvalTask> all_eval_tasks() { return kTasks; }

bool eval_task_is_free_form(EvalTask task) {
    return task == EvalTask::FreeSummary || task == EvalTask::FreeExplain || task == EvalTask::FreeTopics;
}

EvalSample generate_eval_sample(const HaystackCorpus& corpus, const SampleRequest& request,
                                const TokenCounter& count_tokens) {
    if (!count_tokens) throw Error("generate_eval_sample: no token counter given");
    if (request.target_tokens <= 0) throw Error("generate_eval_sample: the target length must be positive");
    if (corpus.documents(request.split).empty())
        throw Error("haystack corpus has no documents in the " + std::string(eval_split_name(request.split)) +
                    " split");
    EvalSample sample;
    sample.task = std::string(eval_task_name(request.task));
    sample.split = request.split;
    sample.seed = eval_sample_seed(request.split, request.base_seed, request.index);
    sample.target_tokens = request.target_tokens;
    // The task is mixed in so that tasks generated with the same seed do not share filler.
    SeededRandom random(mix_64(sample.seed ^ fnv1a_64(sample.task)));
    const TaskContext context{corpus, request.split, request.target_tokens, count_tokens, random};
    switch (request.task) {
        case EvalTask::NeedleSingle:
        case EvalTask::NeedleMultiKey:
        case EvalTask::NeedleMultiValue:
        case EvalTask::NeedleMultiQuery: build_needle_task(request.task, context, sample); break;
        case EvalTask::VariableTracking: build_variable_tracking(context, sample); break;
        case EvalTask::CommonWords: build_common_words(context, sample); break;
        case EvalTask::FactQa: build_fact_qa(context, sample); break;
        case EvalTask::FreeSummary:
        case EvalTask::FreeExplain:
        case EvalTask::FreeTopics: build_free_form(request.task, context, sample); break;
    }
    return sample;
}

}  // namespace glimpse::eval
