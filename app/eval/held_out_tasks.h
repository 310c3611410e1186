#pragma once
// Task families held out of LookaheadKV training: `make-data` never generates a training
// prompt from them, so an adapter's results on them (reported apart by `eval`) show whether
// it learned where answers attend or only the look of the families it was trained on.
//
// The list is fixed: niah_multivalue (a needle family: one key, several values, all asked)
// and qa_fact (the QA family: an invented fact in natural text). Changing it changes which
// evaluation results are out of distribution, so it is not an option.

#include "app/eval/eval_task.h"

#include <span>
#include <string_view>
#include <vector>

namespace glimpse::eval {

std::span<const EvalTask> held_out_eval_tasks();
bool eval_task_is_held_out(EvalTask task);
// By a record's task name; false for names that are not generated tasks ("document").
bool eval_task_name_is_held_out(std::string_view task);
// Every task not held out, in all_eval_tasks() order: what training prompts draw from.
std::vector<EvalTask> training_eval_tasks();

}  // namespace glimpse::eval
