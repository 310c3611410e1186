#pragma once
// Prompts for LookaheadKV training data, generated deterministically from (base seed, index):
// half are the evaluation's task generators (needles, variable tracking, common words,
// free-form) asked for their TRAIN split, half natural documents of the training corpus with an
// instruction about them (qa, summarise, list, explain, quote). The held-out task families
// (held_out_tasks.h: niah_multivalue, qa_fact) are never generated.
//
// Seeds never coincide with the evaluation's: `glimpse-cli eval` seeds prompt i with
// eval_sample_seed(EvalSplit::Eval, --seed, i), whose top bit is always 1. Training prompts use
// eval_sample_seed(EvalSplit::Train, ...), whose top bit is always 0, on a base seed tagged with
// "lookahead-training"; whatever seeds either side is given, the two sets are disjoint. The
// generators run on the TRAIN split of the corpus given (documents hashed into EVAL are never
// read), and the default training corpus shares no document with resources/eval/haystack.jsonl.

#include "app/eval/haystack_corpus.h"
#include "app/eval/length_fit.h"

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::eval {

struct TrainingPromptOptions {
    int min_tokens = 512;    // the user message's length is drawn uniformly in [min, max]
    int max_tokens = 2048;
};

struct TrainingPrompt {
    std::string source;          // task name ("niah_single", ...) or "doc:<document id>"
    std::string instruction;     // "qa", "summarise", "list", "explain", "quote", or the task name
    uint64_t seed = 0;           // training_prompt_seed(base seed, index)
    int target_tokens = 0;       // the drawn length
    int prompt_tokens = 0;       // measured length of `text`; never above target_tokens
    std::string text;            // the user message: the document, a blank line, the instruction
    std::string question;        // the instruction (or the task's question): what follows the blank line
    std::vector<std::string> documents;   // corpus documents the text came from, in order
};

// `count` further questions about the prompt's text, as a person asks after a first answer:
// instructions of the kinds above on the same text (each kind at most once while kinds
// last), drawn from the prompt's seed alone. Throws engine::Error for a prompt whose text
// does not end with its question.
std::vector<std::string> follow_up_questions(const TrainingPrompt& prompt, int count);

// The seed of training prompt `index`; its top bit is always 0 (see above).
uint64_t training_prompt_seed(uint64_t base_seed, uint64_t index);

// Prompt `index` of the stream `base_seed`; depends on nothing else (the corpus and counter
// aside). Throws engine::Error for min_tokens < 128, max < min, or a corpus with no TRAIN
// documents.
TrainingPrompt generate_training_prompt(const eval::HaystackCorpus& corpus, uint64_t base_seed, uint64_t index,
                                        const TrainingPromptOptions& options, const eval::TokenCounter& count_tokens);

}  // namespace glimpse::eval
