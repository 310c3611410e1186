#include "engine/lookahead/attention_targets.h"

#include "engine/error.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace engine::lookahead {

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

    Session session(model, {.threads = options.threads});
    if (!session.prefill(prompt, {}, cancel)) return std::nullopt;
    if (options.on_prompt_cache) options.on_prompt_cache(session.cache());
    if (!options.question.empty() && !session.append(options.question, cancel)) return std::nullopt;

    // Decoding a generated token is exactly its teacher-forced step: its queries attend to
    // the prompt (and question) and the response so far. So the totals gathered while answering are those
    // of reading the whole response back over the full cache, without a second pass. Every
    // response token is decoded, the last one and the end-of-turn token included.
    session.track_cached_attention(true);
    AttentionTargets out;
    const GenerationStats answer = session.generate({.max_new_tokens = options.response_tokens}, {}, {}, cancel);
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

}  // namespace engine::lookahead
