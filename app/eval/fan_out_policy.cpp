#include "app/eval/fan_out_policy.h"

#include "engine/error.h"

#include <chrono>
#include <numeric>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

FanOutPolicy::FanOutPolicy(std::vector<std::shared_ptr<EvictionPolicy>> policies, int64_t record_window)
    : policies_(std::move(policies)), window_(record_window), kept_(policies_.size()), eviction_ms_(policies_.size(), 0.0),
      rows_ms_(policies_.size(), 0.0) {
    for (const auto& p : policies_) {
        window_ = std::max(window_, p->query_window());
        wants_attention_ = wants_attention_ || p->wants_key_attention();
        wants_observation_ = wants_observation_ || p->wants_observation_attention();
    }
}

std::vector<std::vector<int32_t>> FanOutPolicy::keep(const EvictionInput& input) {
    const int64_t row = input.n_heads * input.head_dim;
    if (window_ > 0) {
        const auto l = static_cast<size_t>(input.layer);
        if (window_queries_.size() <= l) window_queries_.resize(l + 1);
        window_queries_[l].assign(input.window_queries, input.window_queries + input.n_window * row);
        n_window_ = input.n_window;
    }
    for (size_t p = 0; p < policies_.size(); ++p) {
        // Each policy sees only the window it asked for: the last rows of ours.
        EvictionInput own = input;
        own.n_window = std::min(policies_[p]->query_window(), input.n_window);
        own.window_queries = input.window_queries ? input.window_queries + (input.n_window - own.n_window) * row : nullptr;
        if (!policies_[p]->wants_key_attention()) own.key_attention = nullptr;
        // The window's sums are over our window: a policy with a shorter one scores its own.
        if (!policies_[p]->wants_observation_attention() || own.n_window != input.n_window) own.observation_attention = nullptr;
        const double rows_before = policies_[p]->rows_seconds();
        auto start = std::chrono::steady_clock::now();
        auto kept = policies_[p]->keep(own);
        eviction_ms_[p] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        rows_ms_[p] += (policies_[p]->rows_seconds() - rows_before) * 1000.0;
        check_kept_indices(*policies_[p], own, kept);
        auto& layers = kept_[p];
        if (static_cast<int64_t>(layers.size()) <= input.layer) layers.resize(static_cast<size_t>(input.layer + 1));
        layers[static_cast<size_t>(input.layer)] = std::move(kept);
    }
    std::vector<int32_t> all(static_cast<size_t>(input.n_tokens));
    std::iota(all.begin(), all.end(), 0);
    return std::vector<std::vector<int32_t>>(static_cast<size_t>(input.n_kv_heads), all);
}

double FanOutPolicy::total_eviction_ms() const {
    return std::accumulate(eviction_ms_.begin(), eviction_ms_.end(), 0.0);
}

}  // namespace glimpse::eval
