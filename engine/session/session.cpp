#include "engine/session/session.h"

#include "engine/error.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/session/position_compaction.h"
#include "engine/session/stop_strings.h"
#include "engine/session/window_plan.h"

#include <algorithm>
#include <chrono>

namespace engine {

Session::Session(std::shared_ptr<const Model> model, std::shared_ptr<Backend> backend, SessionOptions options)
    : model_(std::move(model)), options_(std::move(options)), backend_(std::move(backend)) {
    if (!model_) throw Error("session: no model");
    if (!backend_) backend_ = make_cpu_backend(options_.threads, options_.q8_activations);
    if (!options_.policy) options_.policy = std::make_shared<FullPolicy>();
    if (options_.chunk <= 0) throw Error("session: prefill chunk must be positive");
    const ModelConfig& c = model_->config();
    cache_ = CompressedCache(c.n_layers, c.n_kv_heads, c.head_dim, model_->fingerprint(), options_.kv_type);
}

Session::Session(std::shared_ptr<const Model> model, SessionOptions options)
    : Session(std::move(model), nullptr, std::move(options)) {}

Session::Session(std::shared_ptr<const Model> model, std::shared_ptr<Backend> backend, CompressedCache cache,
                 SessionOptions options, std::vector<float> logits)
    : Session(std::move(model), std::move(backend), std::move(options)) {
    const ModelConfig& c = model_->config();
    if (cache.model_fingerprint() != model_->fingerprint())
        throw Error(ErrorKind::WrongModel, "session: the KV cache snapshot was made by another model");
    if (cache.n_layers() != c.n_layers || cache.n_kv_heads() != c.n_kv_heads || cache.head_dim() != c.head_dim)
        throw Error(ErrorKind::WrongModel, "session: the KV cache snapshot's shape does not match the model");
    // A resumed cache keeps the type it was made with.
    options_.kv_type = cache.kv_type();
    if (!logits.empty() && static_cast<int64_t>(logits.size()) != c.vocab_size)
        throw Error(ErrorKind::BadFile, "session: the snapshot's logits have " + std::to_string(logits.size()) +
                                            " values, the model's vocabulary " + std::to_string(c.vocab_size));
    cache_ = std::move(cache);
    logits_ = std::move(logits);
}

bool Session::run(std::span<const int32_t> tokens, const std::atomic<bool>* cancel, bool decoding) {
    ForwardRequest req;
    req.tokens = tokens;
    req.chunk = options_.chunk;
    req.cancel = cancel;
    if (decoding && track_attention_) req.cached_attention = &cached_attention_;
    const bool done = forward_tokens(*model_, *backend_, scratch_, cache_, req, logits_);
    // A long prompt's buffers (all its hidden states, one layer's K/V) are not needed by
    // decode; give that memory back rather than hold it for the session's life.
    if (tokens.size() > 64) scratch_ = ForwardScratch{};
    return done;
}

int64_t Session::context_length() const {
    return options_.context > 0 ? options_.context : model_->config().context_length;
}

PrefillStats Session::prefill(std::span<const int32_t> tokens, const ProgressCallback& on_progress,
                              const std::atomic<bool>* cancel) {
    WindowRequest request;
    request.position = cache_.next_rotary_position();
    request.tokens = static_cast<int64_t>(tokens.size());
    request.context = context_length();
    request.answer_room = options_.answer_room;
    request.window = options_.window;
    request.budget = options_.policy->budget();
    request.probe = static_cast<int64_t>(options_.window_probe.size());
    const WindowPlan plan = plan_windows(request);

    PrefillContext context;
    context.model = model_;
    context.backend = backend_;
    context.scratch = &scratch_;
    context.chunk = options_.chunk;
    context.cancel = cancel;
    context.progress = &on_progress;
    context.work_total = static_cast<int64_t>(tokens.size()) * model_->config().n_layers;

    PrefillStats stats;
    stats.tokens = static_cast<int64_t>(tokens.size());
    stats.windows = plan.windows;
    // The policy works on copies only where it needs them; either way a false return or a
    // throw leaves cache and logits as they were (forward_tokens rolls back).
    if (plan.windows == 1) stats.completed = options_.policy->prefill(context, tokens, cache_, logits_);
    else stats.completed = read_windows(tokens, plan.window, context);
    if (tokens.size() > 64) scratch_ = ForwardScratch{};
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - context.start).count();
    stats.eviction_seconds = context.eviction_seconds;
    const KvFootprint footprint = kv_footprint(cache_);
    stats.kept_bytes = footprint.kept_bytes;
    stats.full_bytes = footprint.full_bytes;
    return stats;
}

bool Session::read_windows(std::span<const int32_t> tokens, int64_t window, PrefillContext& context) {
    const ModelConfig& c = model_->config();
    const int64_t n = static_cast<int64_t>(tokens.size()), limit = context_length();
    // Windows change cached entries, which a mark cannot undo: work on a copy.
    CompressedCache work = cache_;
    std::vector<float> logits;
    const ProgressCallback* outer = context.progress;
    std::vector<int32_t> probed;   // a window, then the probe
    for (int64_t start = 0; start < n; start += window) {
        const int64_t length = std::min(window, n - start);
        const bool probe = start + length < n && !options_.window_probe.empty();
        const int64_t probe_length = probe ? static_cast<int64_t>(options_.window_probe.size()) : 0;
        if (work.next_rotary_position() + length + probe_length + options_.answer_room > limit) {
            compact_positions(work, model_->rope_freqs(), c.rope_style);
            const int64_t kept = work.next_rotary_position();
            if (kept + length + probe_length + options_.answer_room > limit)
                throw Error("windowed reading: the cache keeps " + std::to_string(kept) + " tokens per head after eviction; with a window of " +
                            std::to_string(length) + " and " + std::to_string(options_.answer_room) +
                            " for the answer that passes the model's context window of " + std::to_string(limit) +
                            "; lower --budget, --read-window or --max-tokens");
        }
        const int64_t offset = start * c.n_layers, total = n * c.n_layers;
        const ProgressCallback shifted = [&](const PrefillProgress& p) {
            if (!outer || !*outer) return;
            PrefillProgress q = p;
            q.done = offset + std::min(p.done, length * c.n_layers);
            q.total = std::max(total, q.done);
            (*outer)(q);
        };
        context.progress = &shifted;
        context.work_total = length * c.n_layers;
        context.evict_cached = true;
        context.probe = probe_length;
        std::span<const int32_t> part = tokens.subspan(static_cast<size_t>(start), static_cast<size_t>(length));
        if (probe) {
            probed.assign(part.begin(), part.end());
            probed.insert(probed.end(), options_.window_probe.begin(), options_.window_probe.end());
            part = probed;
        }
        const int64_t window_end = work.next_position() + length;
        const bool read = options_.policy->prefill(context, part, work, logits);
        context.progress = outer;
        context.evict_cached = false;
        context.probe = 0;
        if (!read) return false;
        // The probe chose with the window and kept no entries; its tokens are not the prompt's.
        if (probe) work.drop_from(window_end);
    }
    cache_ = std::move(work);
    logits_ = std::move(logits);
    return true;
}

bool Session::append(std::span<const int32_t> tokens, const std::atomic<bool>* cancel) {
    return run(tokens, cancel, false);
}

void Session::decode(int32_t token) {
    const int32_t one[1] = {token};
    run(one, nullptr, true);
}

void Session::track_cached_attention(bool on) {
    track_attention_ = on;
    cached_attention_.clear();
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
    auto ends_turn = [&](int32_t token) {
        return model_->ends_turn(token) ||
               std::find(params.stop_tokens.begin(), params.stop_tokens.end(), token) != params.stop_tokens.end();
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
        if (ends_turn(token)) {
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
