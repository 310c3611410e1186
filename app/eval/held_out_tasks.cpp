#include "app/eval/held_out_tasks.h"

#include <algorithm>
#include <array>

namespace glimpse::eval {
namespace {

constexpr std::array<EvalTask, 2> kHeldOut = {EvalTask::NeedleMultiValue, EvalTask::FactQa};

}  // namespace

std::span<const EvalTask> held_out_eval_tasks() { return kHeldOut; }

bool eval_task_is_held_out(EvalTask task) { return std::find(kHeldOut.begin(), kHeldOut.end(), task) != kHeldOut.end(); }

bool eval_task_name_is_held_out(std::string_view task) {
    return std::any_of(kHeldOut.begin(), kHeldOut.end(), [&](EvalTask t) { return eval_task_name(t) == task; });
}

std::vector<EvalTask> training_eval_tasks() {
    std::vector<EvalTask> tasks;
    for (EvalTask task : all_eval_tasks())
        if (!eval_task_is_held_out(task)) tasks.push_back(task);
    return tasks;
}

}  // namespace glimpse::eval
