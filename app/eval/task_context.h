#pragma once
// Internal to engine/eval: what every task builder gets, and the shared haystack filler.

#include "app/eval/eval_task.h"

#include <string>
#include <vector>

namespace glimpse::eval {

struct TaskContext {
    const HaystackCorpus& corpus;
    EvalSplit split;
    int target_tokens;
    const TokenCounter& count_tokens;
    SeededRandom& random;
};

// Text placed into the haystack between paragraphs; depth in [0, 1] is the relative
// position (0 = before the first paragraph, 1 = after the last). Inserts at the same place
// keep their order.
struct HaystackInsert {
    double depth;
    std::string text;
};

struct FilledHaystack {
    std::string document;
    int prompt_tokens = 0;
    std::vector<std::string> sources;
    int paragraphs = 0;  // paragraphs of filler, a truncated last one included
};

// Fills natural paragraphs (documents of the split in a seeded order, whole documents
// in sequence, starting over when the split runs out) around the inserts so that
// document + "\n\n" + question is as long as possible without passing the target.
// `label_paragraphs` prefixes filler paragraph i with "[i] " (1-based).
FilledHaystack fill_haystack(const TaskContext& context, const std::vector<HaystackInsert>& inserts,
                             const std::string& question, bool label_paragraphs = false);

// A key for needles: two corpus words joined by a hyphen, e.g. "kernel-violet".
std::string random_needle_key(const TaskContext& context);
// Made-up lower-case words of a few syllables ("renmorta"), so facts and word lists can use
// names no model has seen: one drawn at random, or every word of a given syllable count.
std::string invented_word(SeededRandom& random, int syllables);
std::vector<std::string> all_invented_words(int syllables);
// A 7-digit number as text.
std::string random_magic_number(SeededRandom& random);
// Throws when the prompt's fixed parts alone do not fit.
[[noreturn]] void throw_target_too_small(const TaskContext& context, std::string_view task);

void build_needle_task(EvalTask task, const TaskContext& context, EvalSample& sample);
void build_variable_tracking(const TaskContext& context, EvalSample& sample);
void build_common_words(const TaskContext& context, EvalSample& sample);
void build_fact_qa(const TaskContext& context, EvalSample& sample);
void build_free_form(EvalTask task, const TaskContext& context, EvalSample& sample);

}  // namespace glimpse::eval
