#pragma once
// RULER-style long-context tasks, generated deterministically from a seed over natural
// haystack text, at a target prompt length measured in model tokens.

#include "app/eval/haystack_corpus.h"
#include "app/eval/length_fit.h"
#include "app/eval/seeded_random.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glimpse::eval {

enum class EvalTask {
    NeedleSingle,      // one "special magic number" for a key; ask it
    NeedleMultiKey,    // several keys with one number each; ask one
    NeedleMultiValue,  // one key with several numbers; ask all
    NeedleMultiQuery,  // several keys; ask all of them
    VariableTracking,  // VAR chains; ask every variable holding a value
    CommonWords,       // a word list where a few words are frequent; ask those
    FactQa,            // an invented fact in natural text; a question about it
    FreeSummary,       // free-form: summarise the document
    FreeExplain,       // free-form: explain paragraph N
    FreeTopics,        // free-form: list the main topics
};

// Stable names used in files and reports ("niah_single", "variable_tracking", ...).
std::string_view eval_task_name(EvalTask task);
EvalTask eval_task_from_name(std::string_view name);  // throws on an unknown name
std::span<const EvalTask> all_eval_tasks();
// Free-form tasks carry no expected answer: their reference is the full-cache response.
bool eval_task_is_free_form(EvalTask task);

struct SampleRequest {
    EvalTask task = EvalTask::NeedleSingle;
    EvalSplit split = EvalSplit::Eval;
    uint64_t base_seed = 0;
    uint64_t index = 0;
    int target_tokens = 4096;
};

struct EvalSample {
    std::string task;  // eval_task_name()
    EvalSplit split = EvalSplit::Eval;
    uint64_t seed = 0;  // eval_sample_seed(split, base_seed, index)
    std::string document;  // the context
    std::string question;  // the question or instruction that follows it
    std::vector<std::string> answers;  // every expected answer; empty for free-form tasks
    int target_tokens = 0;
    int prompt_tokens = 0;  // measured tokens of prompt(); never above target_tokens
    std::vector<std::string> sources;  // haystack documents the text came from, in order

    // What the model reads (before any chat template): the document, a blank line, the question.
    std::string prompt() const { return document + "\n\n" + question; }
};

// Generates one sample. Throws engine::Error when the target is too small for the task's
// fixed text, or the split has no documents.
EvalSample generate_eval_sample(const HaystackCorpus& corpus, const SampleRequest& request,
                                const TokenCounter& count_tokens);

}  // namespace glimpse::eval
