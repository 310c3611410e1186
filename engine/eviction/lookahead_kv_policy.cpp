#include "engine/eviction/lookahead_kv_policy.h"

#include "engine/error.h"
#include "engine/eviction/token_selection.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_rows.h"
#include "engine/model/model.h"

#include <chrono>

namespace engine {

LookaheadKvPolicy::LookaheadKvPolicy(const PolicyOptions& o)
    : budget_(o.budget), recent_window_(o.recent_window), adapter_path_(o.adapter_path), adapter_(o.adapter) {
    if (budget_ < 1) throw Error("lookahead: the budget must be at least 1 token, got " + std::to_string(budget_));
    if (!adapter_ && adapter_path_.empty())
        throw Error("lookahead: no LookaheadKV adapter for this model (train one with `glimpse-cli train-lookahead`, "
                    "or pass --adapter FILE)");
    if (adapter_ && recent_window_ < 0) recent_window_ = adapter_->options.recent_window;
}

LookaheadKvPolicy::~LookaheadKvPolicy() = default;

std::string LookaheadKvPolicy::describe() {
    return "lookahead: LookaheadKV (Ahn et al. 2026). A trained adapter's lookahead tokens (default 32) follow the "
           "prompt through every layer with LoRA active on them only; each prompt token's score is the attention "
           "they give it, averaged over them and the query heads of its KV group, max-pooled along the sequence "
           "(the adapter's kernel, 7 for the shipped one). Each KV head keeps its top B (plus the last --recent-window "
           "tokens, default the adapter's). Needs an adapter made for the model: a *.lookahead.gguf recording its "
           "fingerprint beside it or in the data directory's lookahead/ folder, or --adapter FILE.";
}

void LookaheadKvPolicy::start(const EvictionInput& in) {
    if (!in.model) throw Error("lookahead: the forward pass gave no model to run the lookahead rows on");
    if (!adapter_) adapter_ = std::make_shared<const LookaheadAdapter>(LookaheadAdapter::load(adapter_path_, *in.model));
    else if (!(adapter_->base == LookaheadBase::of(*in.model)))
        throw Error(ErrorKind::WrongModel, "lookahead: the adapter was trained for another model (fingerprint " +
                    std::to_string(adapter_->base.fingerprint) + ", this model " +
                    std::to_string(in.model->fingerprint()) + ")");
    if (recent_window_ < 0) recent_window_ = adapter_->options.recent_window;
    const int64_t first_position = in.positions.empty() ? 0 : in.positions.back() + 1;
    rows_ = std::make_unique<LookaheadRows>(*in.model, *adapter_, first_position);
}

std::vector<KvSpan> LookaheadKvPolicy::prompt_spans(const EvictionInput& in) {
    const int64_t kv_dim = in.n_kv_heads * in.head_dim;
    std::vector<KvSpan> spans(static_cast<size_t>(in.n_kv_heads));
    joined_k_.resize(spans.size());
    joined_v_.resize(spans.size());
    for (int64_t h = 0; h < in.n_kv_heads; ++h) {
        const KvSpan past = in.past.empty() ? KvSpan{} : in.past[static_cast<size_t>(h)];
        if (past.n == 0) {
            spans[static_cast<size_t>(h)] = {in.k + h * in.head_dim, in.v + h * in.head_dim, in.n_tokens, kv_dim};
            continue;
        }
        // Tokens cached by an earlier prefill come first; the rows see them as the answer would.
        auto& k = joined_k_[static_cast<size_t>(h)];
        auto& v = joined_v_[static_cast<size_t>(h)];
        k.clear();
        v.clear();
        for (int64_t t = 0; t < past.n; ++t) {
            k.insert(k.end(), past.k + t * past.stride, past.k + t * past.stride + in.head_dim);
            v.insert(v.end(), past.v + t * past.stride, past.v + t * past.stride + in.head_dim);
        }
        for (int64_t t = 0; t < in.n_tokens; ++t) {
            k.insert(k.end(), in.k + t * kv_dim + h * in.head_dim, in.k + t * kv_dim + (h + 1) * in.head_dim);
            v.insert(v.end(), in.v + t * kv_dim + h * in.head_dim, in.v + t * kv_dim + (h + 1) * in.head_dim);
        }
        spans[static_cast<size_t>(h)] = {k.data(), v.data(), past.n + in.n_tokens, in.head_dim};
    }
    return spans;
}

std::vector<std::vector<int32_t>> LookaheadKvPolicy::keep(const EvictionInput& in) {
    const int64_t n = in.n_tokens, candidates = in.n_candidates();
    // The budget is the same in every layer: when nothing is evicted the rows need not run.
    if (budget_ >= candidates) return same_for_all_heads(in, index_range(0, candidates));
    if (in.layer == 0 || !rows_ || rows_->next_layer() != in.layer) {
        if (in.layer != 0) throw Error("lookahead: the prefill skipped layers before layer " + std::to_string(in.layer));
        start(in);
    }
    if (!in.backend) throw Error("lookahead: the forward pass gave no backend to run the lookahead rows on");

    const std::vector<KvSpan> prompt = prompt_spans(in);
    // The rows' own attention call sums their weights on the prompt keys: the scores.
    attention_.resize(prompt.size());
    std::vector<float*> attention_of(prompt.size());
    for (size_t h = 0; h < prompt.size(); ++h) {
        attention_[h].assign(static_cast<size_t>(prompt[h].n), 0.0f);
        attention_of[h] = attention_[h].data();
    }
    const auto started = std::chrono::steady_clock::now();
    rows_->run_layer(*in.backend, in.layer, prompt, attention_of.data());
    rows_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const float mean = 1.0f / static_cast<float>(in.n_heads / in.n_kv_heads * rows_->rows());
    const int64_t recent = std::min(recent_window_, budget_);
    const int64_t n_past = prompt.empty() ? 0 : prompt[0].n - n;
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    for (int64_t h = 0; h < in.n_kv_heads; ++h) {
        // Only the new tokens are chosen among; the past is already what earlier prefills kept.
        const auto& sums = attention_[static_cast<size_t>(h)];
        std::vector<float> scores(sums.begin() + n_past, sums.begin() + n_past + candidates);
        for (float& s : scores) s *= mean;
        scores = max_pool(scores, adapter_->options.pool_kernel);
        scores.resize(static_cast<size_t>(candidates - recent));
        auto chosen = top_indices(scores, budget_ - recent);
        const auto tail = index_range(candidates - recent, recent);
        chosen.insert(chosen.end(), tail.begin(), tail.end());
        kept[static_cast<size_t>(h)] = std::move(chosen);
    }
    if (in.layer + 1 == in.n_layers) rows_.reset();   // the rows are dropped after the last layer
    return kept;
}

}  // namespace engine
