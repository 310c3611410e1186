#pragma once
// A conversation with a model: prefill a prompt (layer-major, through an eviction policy),
// generate a streamed answer, append the next turn. The compressed cache it builds can be
// saved and a Session resumed from it.
//
//   auto model = engine::Model::open(path);
//   auto backend = engine::make_cpu_backend(2);               // one per model, shared by its sessions
//   auto tokenizer = engine::Tokenizer::from_gguf(model->file());
//   engine::Session session(model, backend, {.policy = engine::make_policy("snapkv", {.budget = 512})});
//   auto read = session.prefill(prompt_tokens, on_progress, &cancel);   // !read: cancelled, nothing changed
//   auto stats = engine::generate_text(session, tokenizer, {.max_new_tokens = 128}, on_piece, &cancel);
//   session.append(next_turn_tokens);                          // then generate again
//   auto bytes = session.cache().serialize();                  // snapshot; resume with
//   engine::Session resumed(model, backend, engine::CompressedCache::deserialize(bytes, model->fingerprint()));
//
// A session is used from one thread at a time and may be handed to another thread between
// calls; sessions that share a backend take turns on its threads.

#include "engine/backend.h"
#include "engine/eviction/eviction_policy.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"
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
    int threads = 0;                        // the session's own backend, when none is given: 0 = one per hardware thread
    bool q8_activations = false;            // ... with faster integer matmuls, less exact (see MatmulOptions)
    int64_t chunk = 256;                    // prefill tokens per step through a layer
    GgmlType kv_type = GgmlType::F32;       // what the KV cache keeps: F32, F16 or Q8_0 (kv_rows.h)
    std::shared_ptr<EvictionPolicy> policy = nullptr;   // nullptr: FullPolicy (keep every token)
    // Windowed reading (window_plan.h): a prompt that does not fit `context` positions with
    // `answer_room` left for the answer is read in windows of `window` tokens (0: only when it
    // does not fit, with the largest window that does).
    int64_t context = 0;                    // 0: the model's context length
    int64_t answer_room = 0;
    int64_t window = 0;
    // Read after every window but the last, before the window is evicted, then dropped: the
    // question, so that each window keeps what the question needs, as the last one (which
    // holds the question) does. It chooses but keeps nothing, so every window keeps the
    // whole budget of the document. Empty: earlier windows choose without it.
    std::vector<int32_t> window_probe{};
};

// What one prefill did.
struct PrefillStats {
    bool completed = false;                 // false: cancelled, the session unchanged
    int64_t tokens = 0;                     // tokens read
    double seconds = 0.0;
    double eviction_seconds = 0.0;          // of which choosing what to keep (drafts included)
    int64_t kept_bytes = 0;                 // K and V the whole cache keeps afterwards
    int64_t full_bytes = 0;                 // what it would hold keeping every token
    int64_t windows = 1;                    // windows the prompt was read in (1: in one pass)
    double tokens_per_second() const { return seconds > 0.0 ? static_cast<double>(tokens) / seconds : 0.0; }
    explicit operator bool() const { return completed; }
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
    Session(std::shared_ptr<const Model> model, std::shared_ptr<Backend> backend, SessionOptions options = {});
    // With a CPU backend of its own (options.threads, options.q8_activations).
    explicit Session(std::shared_ptr<const Model> model, SessionOptions options = {});
    // Resumes from a snapshot; throws engine::Error (ErrorKind::WrongModel) if it belongs to
    // another model. With the last token's logits saved beside it the next call may be
    // generate(); without them it is append().
    Session(std::shared_ptr<const Model> model, std::shared_ptr<Backend> backend, CompressedCache cache,
            SessionOptions options = {}, std::vector<float> logits = {});
    Session(std::shared_ptr<const Model> model, CompressedCache cache, SessionOptions options = {})
        : Session(std::move(model), nullptr, std::move(cache), std::move(options)) {}

    // Reads tokens through the model layer by layer, keeping what the session's policy
    // chooses (draft policies run their own passes behind it); past the context window in
    // windows (SessionOptions). When cancelled it returns stats with completed = false,
    // leaving the session exactly as before the call. Throws engine::Error naming the
    // numbers when budget, window and answer room do not fit the context.
    PrefillStats prefill(std::span<const int32_t> tokens, const ProgressCallback& on_progress = {},
                         const std::atomic<bool>* cancel = nullptr);
    // Adds the next turn's tokens, keeping all of them. Same cancel contract as prefill.
    bool append(std::span<const int32_t> tokens, const std::atomic<bool>* cancel = nullptr);

    // Samples up to max_new_tokens, streaming each piece of text. Stops at an end-of-turn
    // token (Model::ends_turn, or one of params.stop_tokens; it is added to the cache, as a
    // chat template would), a stop string (not shown) or cancel. Needs logits: call prefill
    // or append first.
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
    const SessionOptions& options() const { return options_; }
    const EvictionPolicy& policy() const { return *options_.policy; }
    int64_t position() const { return cache_.next_position(); }
    // The positions the session may use: SessionOptions::context or the model's.
    int64_t context_length() const;
    const Model& model() const { return *model_; }
    const std::shared_ptr<const Model>& shared_model() const { return model_; }

private:
    bool read_windows(std::span<const int32_t> tokens, int64_t window, PrefillContext& context);
    bool run(std::span<const int32_t> tokens, const std::atomic<bool>* cancel, bool decoding);

    std::shared_ptr<const Model> model_;
    SessionOptions options_;
    std::shared_ptr<Backend> backend_;
    ForwardScratch scratch_;
    CompressedCache cache_;
    std::vector<float> logits_;
    bool track_attention_ = false;
    std::vector<std::vector<float>> cached_attention_;
};

}  // namespace engine
