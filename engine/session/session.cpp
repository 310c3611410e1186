#include "engine/session/session.h"

#include "engine/error.h"
#include "engine/session/stop_strings.h"

#include <algorithm>
#include <chrono>

namespace engine {

Session::Session(const Model& model, SessionOptions options)
    : model_(model), options_(std::move(options)), backend_(make_cpu_backend(options_.threads, options_.q8_activations)),
      cache_(model.config().n_layers, model.config().n_kv_heads, model.config().head_dim, model.fingerprint()) {
    if (!options_.policy) options_.policy = std::make_shared<FullPolicy>();
    if (options_.chunk <= 0) throw Error("session: prefill chunk must be positive");
}

Session::Session(const Model& model, CompressedCache cache, SessionOptions options) : Session(model, std::move(options)) {
    const ModelConfig& c = model.config();
    if (cache.model_fingerprint() != model.fingerprint())
        throw Error("session: the KV cache snapshot was made by another model");
    if (cache.n_layers() != c.n_layers || cache.n_kv_heads() != c.n_kv_heads || cache.head_dim() != c.head_dim)
        throw Error("session: the KV cache snapshot's shape does not match the model");
    cache_ = std::move(cache);
}

bool Session::run(std::span<const int32_t> tokens, KeepPolicy* policy, const ProgressCallback* progress,
                  const std::atomic<bool>* cancel, bool decoding) {
    ForwardRequest req;
    req.tokens = tokens;
    req.chunk = options_.chunk;
    req.policy = policy;
    req.cancel = cancel;
    req.progress = progress;
    if (decoding && track_attention_) req.cached_attention = &cached_attention_;
    const bool done = forward_tokens(model_, *backend_, scratch_, cache_, req, logits_);
    // A long prompt's buffers (all its hidden states, one layer's K/V) are not needed by
    // decode; give that memory back rather than hold it for the session's life.
    if (tokens.size() > 64) scratch_ = ForwardScratch{};
    return done;
}

bool Session::prefill(std::span<const int32_t> tokens, const ProgressCallback& on_progress,
                      const std::atomic<bool>* cancel) {
    return run(tokens, options_.policy.get(), &on_progress, cancel);
}

bool Session::prefill_with(KeepPolicy& policy, std::span<const int32_t> tokens, const ProgressCallback& on_progress,
                           const std::atomic<bool>* cancel) {
    return run(tokens, &policy, &on_progress, cancel);
}

void Session::adopt(CompressedCache cache, std::vector<float> logits) {
    const ModelConfig& c = model_.config();
    if (cache.model_fingerprint() != model_.fingerprint() || cache.n_layers() != c.n_layers ||
        cache.n_kv_heads() != c.n_kv_heads || cache.head_dim() != c.head_dim)
        throw Error("session: the adopted KV cache does not belong to this model");
    if (static_cast<int64_t>(logits.size()) != c.vocab_size)
        throw Error("session: adopted logits have " + std::to_string(logits.size()) + " values, expected the vocabulary size " +
                    std::to_string(c.vocab_size));
    cache_ = std::move(cache);
    logits_ = std::move(logits);
}

bool Session::append(std::span<const int32_t> tokens, const std::atomic<bool>* cancel) {
    return run(tokens, nullptr, nullptr, cancel);
}

void Session::decode(int32_t token) {
    const int32_t one[1] = {token};
    run(one, nullptr, nullptr, nullptr, true);
}

void Session::track_cached_attention(bool on) {
    track_attention_ = on;
    cached_attention_.clear();
}

bool Session::is_end_token(int32_t token, const SamplingParams& params) const {
    const auto& ends = model_.end_tokens();
    return std::find(ends.begin(), ends.end(), token) != ends.end() ||
           std::find(params.stop_tokens.begin(), params.stop_tokens.end(), token) != params.stop_tokens.end();
}

GenerationStats Session::generate(const SamplingParams& params, const TokenText& token_text,
                                  const PieceCallback& on_piece, const std::atomic<bool>* cancel) {
    if (logits_.empty()) throw Error("session: nothing to answer yet; call prefill() or append() first");
    const auto start = std::chrono::steady_clock::now();
    Sampler sampler(params);
    StopStringFilter stops(params.stop_strings);
    GenerationStats stats;
    auto emit = [&](const std::string& text) {
        if (!text.empty() && on_piece) on_piece(text);
    };

    stats.stop_reason = StopReason::MaxTokens;
    while (stats.generated_tokens < params.max_new_tokens) {
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            stats.stop_reason = StopReason::Cancelled;
            break;
        }
        const int32_t token = sampler.sample(logits_, cache_.tokens());
        ++stats.generated_tokens;
        stats.tokens.push_back(token);
        decode(token);
        if (is_end_token(token, params)) {
            stats.stop_reason = StopReason::EndOfTurn;
            break;
        }
        if (token_text) emit(stops.push(token_text(token)));
        if (stops.stopped()) {
            stats.stop_reason = StopReason::StopString;
            break;
        }
    }
    emit(stops.flush());

    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.tokens_per_second = stats.seconds > 0.0 ? static_cast<double>(stats.generated_tokens) / stats.seconds : 0.0;
    return stats;
}

}  // namespace engine
