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

struct EvictionCandidate {
    std::string policy;
    int64_t budget = 0;
    std::shared_ptr<engine::EvictionPolicy> keep;
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
};

// One record per candidate and setting, plus the full cache's own ("full", budget 0).
std::vector<EvalRecord> evaluate_eviction(const std::shared_ptr<const engine::Model>& model, const engine::Tokenizer& tokenizer,
                                          const EvictionPrompt& prompt, const std::vector<EvictionCandidate>& candidates,
                                          const EvictionEvalOptions& options);

}  // namespace glimpse::eval
