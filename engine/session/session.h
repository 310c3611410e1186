#pragma once
// A conversation with a model: prefill a prompt (layer-major, through a keep policy),
// generate a streamed answer, append the next turn. The compressed cache it builds can be
// saved and a Session resumed from it.
//
//   auto model = engine::Model::open(path);                  // keep it alive while sessions use it
//   auto tokenizer = engine::Tokenizer::from_gguf(model->file());
//   engine::Session session(*model, {.threads = 2});
//   session.prefill(prompt_tokens, on_progress, &cancel);     // false: cancelled, nothing changed
//   auto stats = engine::generate_text(session, tokenizer, {.max_new_tokens = 128}, on_piece, &cancel);
//   session.append(next_turn_tokens);                         // then generate again
//   auto bytes = session.cache().serialize();                 // snapshot; resume with
//   engine::Session resumed(*model, engine::CompressedCache::deserialize(bytes, model->fingerprint()));

#include "engine/backend.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"
#include "engine/session/keep_policy.h"
#include "engine/session/layer_major_forward.h"
#include "engine/session/sampling.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

struct SessionOptions {
    int threads = 0;                        // 0: one per hardware thread
    int64_t chunk = 256;                    // prefill tokens per step through a layer
    std::shared_ptr<KeepPolicy> policy = nullptr;   // nullptr: FullPolicy (keep every token)
    bool q8_activations = false;            // faster integer matmuls, less exact (see MatmulOptions)
};

// The text of one generated token, given as it comes: a stateful stream decoder returns
// only complete UTF-8 (possibly empty, holding partial characters for the next token).
using TokenText = std::function<std::string(int32_t token)>;
using PieceCallback = std::function<void(std::string_view piece)>;

enum class StopReason { EndOfTurn, StopString, MaxTokens, Cancelled };

struct GenerationStats {
    int64_t generated_tokens = 0;
    StopReason stop_reason = StopReason::MaxTokens;
    double seconds = 0.0;
    double tokens_per_second = 0.0;
    std::vector<int32_t> tokens;            // the generated token ids
};

class Session {
public:
    Session(const Model& model, SessionOptions options = {});
    // Resumes from a snapshot; throws engine::Error if it belongs to another model. The next
    // call is append() (the cache holds no logits to generate from).
    Session(const Model& model, CompressedCache cache, SessionOptions options = {});

    // Reads tokens through the model layer by layer, keeping what the policy chooses. Returns
    // false when cancelled, leaving the session exactly as before the call.
    bool prefill(std::span<const int32_t> tokens, const ProgressCallback& on_progress = {},
                 const std::atomic<bool>* cancel = nullptr);
    // The same with another keep policy than the session's, for this call only.
    bool prefill_with(KeepPolicy& policy, std::span<const int32_t> tokens, const ProgressCallback& on_progress = {},
                      const std::atomic<bool>* cancel = nullptr);
    // Adds the next turn's tokens, keeping all of them. Same cancel contract as prefill.
    bool append(std::span<const int32_t> tokens, const std::atomic<bool>* cancel = nullptr);

    // Samples up to max_new_tokens, streaming each piece of text. Stops at an end-of-turn
    // token (which is added to the cache, as a chat template would), a stop string (not
    // shown) or cancel. Needs logits: call prefill or append first.
    GenerationStats generate(const SamplingParams& params, const TokenText& token_text,
                             const PieceCallback& on_piece, const std::atomic<bool>* cancel = nullptr);

    // Reads one token token-major and updates the logits (what generate does per token).
    void decode(int32_t token);

    // From now on (turning on clears the totals), add up the attention every cached token
    // receives from decoded tokens, generation included: which parts of the prompt an
    // answer drew on. Index layer * n_kv_heads + kv_head; one value per cache entry of that
    // head (entries past a vector's end have received none yet).
    void track_cached_attention(bool on);
    const std::vector<std::vector<float>>& cached_attention() const { return cached_attention_; }

    // The last token's logits, empty before the first token.
    std::span<const float> logits() const { return logits_; }
    const CompressedCache& cache() const { return cache_; }
    // Replaces cache and logits with what a prefill made outside the session (two-pass
    // policies in engine/eviction/); throws engine::Error for another model's cache.
    void adopt(CompressedCache cache, std::vector<float> logits);
    const SessionOptions& options() const { return options_; }
    int64_t position() const { return cache_.next_position(); }
    const Model& model() const { return model_; }
    Backend& backend() { return *backend_; }

private:
    bool run(std::span<const int32_t> tokens, KeepPolicy* policy, const ProgressCallback* progress,
             const std::atomic<bool>* cancel, bool decoding = false);
    bool is_end_token(int32_t token, const SamplingParams& params) const;

    const Model& model_;
    SessionOptions options_;
    std::unique_ptr<Backend> backend_;
    ForwardScratch scratch_;
    CompressedCache cache_;
    std::vector<float> logits_;
    bool track_attention_ = false;
    std::vector<std::vector<float>> cached_attention_;
};

}  // namespace engine
