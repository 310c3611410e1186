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
class Backend;
class CompressedCache;
class Model;
class Session;
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

// A conversation read with the full cache, part by part, in one session: greedy answers of
// the turns before the last (which leave the cache as it was), then the last answer with its
// targets. compute_attention_targets is one prompt, one question part and that last answer.
class FullCacheReader {
public:
    FullCacheReader(std::shared_ptr<const Model> model, int threads);
    ~FullCacheReader();

    // Reads the next tokens (the first call prefills). False when cancelled; the reader is
    // then unusable.
    bool read(std::span<const int32_t> tokens, const std::atomic<bool>* cancel = nullptr);
    const CompressedCache& cache() const;
    // The cache after reading `more` on a copy of it (as windowed reading reads its question
    // after a window, then drops it); what was read stays as it was. Nothing when cancelled.
    std::optional<CompressedCache> cache_with(std::span<const int32_t> more, const std::atomic<bool>* cancel = nullptr);
    // The greedy answer to what was read, up to max_tokens (end-of-turn token included when
    // reached); the cache and logits are left as they were. Nothing when cancelled.
    std::optional<std::vector<int32_t>> answer(int64_t max_tokens, const std::atomic<bool>* cancel = nullptr);
    // The greedy answer and where it looked among the first n_prompt tokens read, each
    // (layer, KV head) normalised over them. Nothing when cancelled.
    std::optional<AttentionTargets> answer_with_targets(int64_t n_prompt, int64_t max_tokens,
                                                        const std::atomic<bool>* cancel = nullptr);

private:
    // Throws engine::Error when max_tokens is not positive or does not fit after what was read.
    void check_room(int64_t max_tokens) const;

    std::shared_ptr<const Model> model_;
    std::shared_ptr<Backend> backend_;
    std::unique_ptr<Session> session_;
};

// Throws engine::Error for an empty prompt, a prompt (and question) that leaves no room for
// an answer in the context window, or non-positive response_tokens. Returns nothing when cancelled.
std::optional<AttentionTargets> compute_attention_targets(const std::shared_ptr<const Model>& model, std::span<const int32_t> prompt,
                                                          const AttentionTargetOptions& options,
                                                          const std::atomic<bool>* cancel = nullptr);

}  // namespace engine::lookahead
