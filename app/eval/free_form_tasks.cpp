// Free-form instructions over a natural document. They have no expected answer: the
// harness compares a compressed cache's response against the full-cache response.

#include "app/eval/task_context.h"

namespace glimpse::eval {


void build_free_form(EvalTask task, const TaskContext& context, EvalSample& sample) {
    FilledHaystack filled;
    std::string instruction;
    if (task == EvalTask::FreeExplain) {
        // The paragraph number depends on how many paragraphs fit, so the instruction is
        // written after filling; its length is reserved with the largest possible number.
        const std::string placeholder =
            "Explain in your own words what paragraph [" + std::to_string(context.target_tokens) +
            "] of the document above says, and how it relates to the rest of the document.";
        filled = fill_haystack(context, {}, placeholder, true);
        const int paragraph = 1 + static_cast<int>(context.random.below(std::max(1, filled.paragraphs)));
        instruction = "Explain in your own words what paragraph [" + std::to_string(paragraph) +
                      "] of the document above says, and how it relates to the rest of the document.";
        filled.prompt_tokens = context.count_tokens(filled.document + "\n\n" + instruction);
    } else if (task == EvalTask::FreeTopics) {
        instruction = "List the main topics covered in the document above, one per line.";
        filled = fill_haystack(context, {}, instruction);
    } else {
        instruction = "Summarise the document above in a few sentences.";
        filled = fill_haystack(context, {}, instruction);
    }
    sample.document = std::move(filled.document);
    sample.question = instruction;
    sample.prompt_tokens = filled.prompt_tokens;
    sample.sources = std::move(filled.sources);
}

}  // namespace glimpse::eval
