#pragma once
// Scores eviction policies on one prompt against the full cache, the way the evaluation
// harness reports them: attention recall, ΔNLL of the full-cache response, answer
// accuracy, eviction time, kept KV bytes — in the question-aware setting (the question is
// part of what is compressed) and the context-only one (the document is compressed before
// the question is known; the question is then appended uncompressed).

#include "app/eval/eval_record.h"
#include "engine/model/model.h"
#include "engine/eviction/eviction_policy.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace glimpse::eval {

// The baselines for documents past the context window, as other tools do it: read only the
// first or only the last document tokens that fit (the question always), with the full cache.
enum class Truncation { None, First, Last };

struct EvictionCandidate {
    std::string policy;
    int64_t budget = 0;
    std::shared_ptr<engine::EvictionPolicy> keep;   // unused by a truncation baseline
    Truncation truncation = Truncation::None;
};

struct EvictionPrompt {
    std::string task;
    int64_t length = 0;                    // target length, for grouping
    std::vector<int32_t> context_tokens;   // template start and the document
    std::vector<int32_t> question_tokens;  // the question and the template's generation prompt
    std::vector<std::string> answers;      // empty for free-form prompts
};

struct EvictionEvalOptions {
    int threads = 0;
    int64_t response_tokens = 32;   // the full-cache response scored by recall and ΔNLL
    bool question_aware = true;
    bool context_only = true;
    // Windowed reading (engine::SessionOptions::window): tokens per window; 0 reads in windows
    // only a prompt past the model's context window. Either way each policy then reads the
    // prompt in its own session, and the full-cache reference (recall, ΔNLL) exists only for
    // a prompt that fits.
    int64_t read_window = 0;
    int64_t context = 0;   // positions the model may use; 0: its context length
    // What the candidates' caches keep; the full-cache reference is always f32.
    engine::GgmlType kv_type = engine::GgmlType::F32;
};

// One record per candidate and setting, plus the full cache's own ("full", budget 0) when
// the prompt fits the context window. `answer_nll` is measured where the prompt has answers.
std::vector<EvalRecord> evaluate_eviction(const std::shared_ptr<const engine::Model>& model, const engine::Tokenizer& tokenizer,
                                          const EvictionPrompt& prompt, const std::vector<EvictionCandidate>& candidates,
                                          const EvictionEvalOptions& options);

}  // namespace glimpse::eval
