#pragma once
// The ground truth LookaheadKV learns: which prompt tokens the model's own answer attends to.
// Prefill the prompt with the full cache, answer greedily, and add up the attention each
// prompt token receives from the response tokens, per layer and KV head (query heads of a
// group and all response tokens summed), normalised to a distribution over the prompt.
//
// A context-only target (the document compressed before its question is known, as in a
// follow-up turn) reads `question` after the prompt and before answering: the answer is the
// one the question gets, but the target covers the prompt alone, because only the prompt is
// what the lookahead rows see and what eviction chooses from.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace engine {
class CompressedCache;
class Model;
}

namespace engine::lookahead {

struct AttentionTargetOptions {
    int64_t response_tokens = 64;   // at most this many greedy tokens; fewer at end-of-turn
    int threads = 0;                // 0: one per hardware thread
    std::vector<int32_t> question{};   // read after the prompt, outside the target; empty: none
    // Called with the prompt's full cache right after the prefill (to keep it for training).
    std::function<void(const CompressedCache&)> on_prompt_cache{};
};

struct AttentionTargets {
    std::vector<int32_t> response;  // greedy tokens, the end-of-turn token included when reached
    std::vector<double> target;     // [n_layers][n_kv_heads][n_prompt], each row sums to 1
};

// Throws engine::Error for an empty prompt, a prompt (and question) that leaves no room for
// an answer in the context window, or non-positive response_tokens. Returns nothing when cancelled.
std::optional<AttentionTargets> compute_attention_targets(const std::shared_ptr<const Model>& model, std::span<const int32_t> prompt,
                                                          const AttentionTargetOptions& options,
                                                          const std::atomic<bool>* cancel = nullptr);

}  // namespace engine::lookahead
