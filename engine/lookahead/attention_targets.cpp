#include "engine/lookahead/attention_targets.h"

#include "engine/error.h"
#include "engine/model/model.h"
#include "engine/backend.h"
#include "engine/session/session.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace engine::lookahead {

FullCacheReader::FullCacheReader(std::shared_ptr<const Model> model, int threads)
    : model_(std::move(model)), backend_(make_cpu_backend(threads)) {}

FullCacheReader::~FullCacheReader() = default;

bool FullCacheReader::read(std::span<const int32_t> tokens, const std::atomic<bool>* cancel) {
    if (!session_) {
        session_ = std::make_unique<Session>(model_, backend_);
        return static_cast<bool>(session_->prefill(tokens, {}, cancel));
    }
    return session_->append(tokens, cancel);
}

const CompressedCache& FullCacheReader::cache() const {
    if (!session_) throw Error("attention targets: nothing has been read");
    return session_->cache();
}

std::optional<CompressedCache> FullCacheReader::cache_with(std::span<const int32_t> more, const std::atomic<bool>* cancel) {
    Session aside(model_, backend_, cache(), session_->options());
    if (!aside.append(more, cancel)) return std::nullopt;
    return aside.cache();
}

void FullCacheReader::check_room(int64_t max_tokens) const {
    if (!session_ || session_->position() == 0) throw Error("attention targets: the prompt is empty");
    if (max_tokens <= 0) throw Error("attention targets: response tokens must be positive, got " + std::to_string(max_tokens));
    const int64_t context = model_->config().context_length;
    if (context > 0 && session_->position() + max_tokens > context)
        throw Error("attention targets: " + std::to_string(session_->position()) + " tokens read plus " +
                    std::to_string(max_tokens) + " response tokens exceed the model's context window of " +
                    std::to_string(context));
}

std::optional<std::vector<int32_t>> FullCacheReader::answer(int64_t max_tokens, const std::atomic<bool>* cancel) {
    check_room(max_tokens);
    // Answering appends to the cache; a session on a copy of it answers instead.
    Session answering(model_, backend_, session_->cache(), session_->options(),
                      std::vector<float>(session_->logits().begin(), session_->logits().end()));
    const GenerationStats answer = answering.generate({.max_new_tokens = max_tokens}, {}, {}, cancel);
    if (answer.stop_reason == StopReason::Cancelled) return std::nullopt;
    return answer.tokens;
}

std::optional<AttentionTargets> FullCacheReader::answer_with_targets(int64_t n_prompt, int64_t max_tokens,
                                                                     const std::atomic<bool>* cancel) {
    check_room(max_tokens);
    if (n_prompt <= 0 || n_prompt > session_->position())
        throw Error("attention targets: a prompt of " + std::to_string(n_prompt) + " tokens, but " +
                    std::to_string(session_->position()) + " were read");
    const ModelConfig& c = model_->config();
    Session& session = *session_;
    // Decoding a generated token is exactly its teacher-forced step: its queries attend to
    // the prompt (and question) and the response so far. So the totals gathered while answering are those
    // of reading the whole response back over the full cache, without a second pass. Every
    // response token is decoded, the last one and the end-of-turn token included.
    session.track_cached_attention(true);
    AttentionTargets out;
    const GenerationStats answer = session.generate({.max_new_tokens = max_tokens}, {}, {}, cancel);
    if (answer.stop_reason == StopReason::Cancelled) return std::nullopt;
    out.response = answer.tokens;

    const auto& attention = session.cached_attention();
    const int64_t rows = c.n_layers * c.n_kv_heads;
    if (static_cast<int64_t>(attention.size()) != rows)
        throw Error("attention targets: the forward pass reported attention for " + std::to_string(attention.size()) +
                    " layer-heads, expected " + std::to_string(rows));
    out.target.assign(static_cast<size_t>(rows * n_prompt), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
        const auto& a = attention[static_cast<size_t>(r)];
        if (static_cast<int64_t>(a.size()) < n_prompt)
            throw Error("attention targets: layer " + std::to_string(r / c.n_kv_heads) + ", KV head " +
                        std::to_string(r % c.n_kv_heads) + " reported attention for " + std::to_string(a.size()) +
                        " cached tokens, fewer than the prompt's " + std::to_string(n_prompt));
        double* row = out.target.data() + r * n_prompt;
        double sum = 0.0;
        for (int64_t p = 0; p < n_prompt; ++p) sum += row[p] = a[static_cast<size_t>(p)];
        if (!(sum > 0.0) || !std::isfinite(sum))
            throw Error("attention targets: layer " + std::to_string(r / c.n_kv_heads) + ", KV head " +
                        std::to_string(r % c.n_kv_heads) + " gave the prompt no finite attention mass");
        for (int64_t p = 0; p < n_prompt; ++p) row[p] /= sum;
    }
    return out;
}

std::optional<AttentionTargets> compute_attention_targets(const std::shared_ptr<const Model>& model, std::span<const int32_t> prompt,
                                                          const AttentionTargetOptions& options,
                                                          const std::atomic<bool>* cancel) {
    const ModelConfig& c = model->config();
    const auto n_prompt = static_cast<int64_t>(prompt.size());
    if (n_prompt == 0) throw Error("attention targets: the prompt is empty");
    if (options.response_tokens <= 0)
        throw Error("attention targets: response tokens must be positive, got " + std::to_string(options.response_tokens));
    const auto n_question = static_cast<int64_t>(options.question.size());
    if (c.context_length > 0 && n_prompt + n_question + options.response_tokens > c.context_length)
        throw Error("attention targets: a prompt of " + std::to_string(n_prompt) + " tokens plus " +
                    (n_question > 0 ? "a question of " + std::to_string(n_question) + " tokens plus " : std::string()) +
                    std::to_string(options.response_tokens) + " response tokens exceeds the model's context window of " +
                    std::to_string(c.context_length));

    FullCacheReader reader(model, options.threads);
    if (!reader.read(prompt, cancel)) return std::nullopt;
    if (options.on_prompt_cache) options.on_prompt_cache(reader.cache());
    if (!options.question.empty() && !reader.read(options.question, cancel)) return std::nullopt;
    return reader.answer_with_targets(n_prompt, options.response_tokens, cancel);
}

}  // namespace engine::lookahead
