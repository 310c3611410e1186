#include "engine/eval/fan_out_policy.h"

#include "engine/error.h"

#include <chrono>
#include <numeric>

namespace engine::eval {

FanOutPolicy::FanOutPolicy(std::vector<std::shared_ptr<KeepPolicy>> policies, int64_t record_window)
    : policies_(std::move(policies)), window_(record_window), kept_(policies_.size()), eviction_ms_(policies_.size(), 0.0) {
    for (const auto& p : policies_) {
        window_ = std::max(window_, p->query_window());
        wants_attention_ = wants_attention_ || p->wants_key_attention();
    }
}

std::vector<std::vector<int32_t>> FanOutPolicy::keep(const LayerKeepInput& input) {
    const int64_t row = input.n_heads * input.head_dim;
    if (window_ > 0) {
        const auto l = static_cast<size_t>(input.layer);
        if (window_queries_.size() <= l) window_queries_.resize(l + 1);
        window_queries_[l].assign(input.window_queries, input.window_queries + input.n_window * row);
        n_window_ = input.n_window;
    }
    for (size_t p = 0; p < policies_.size(); ++p) {
        // Each policy sees only the window it asked for: the last rows of ours.
        LayerKeepInput own = input;
        own.n_window = std::min(policies_[p]->query_window(), input.n_window);
        own.window_queries = input.window_queries ? input.window_queries + (input.n_window - own.n_window) * row : nullptr;
        if (!policies_[p]->wants_key_attention()) own.key_attention = nullptr;
        auto start = std::chrono::steady_clock::now();
        auto kept = policies_[p]->keep(own);
        eviction_ms_[p] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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

CompressedCache select_kept(const CompressedCache& full, int64_t n_prefilled,
                            const std::vector<std::vector<std::vector<int32_t>>>& kept) {
    if (static_cast<int64_t>(kept.size()) != full.n_layers())
        throw Error("select_kept: kept sets for " + std::to_string(kept.size()) + " layers, the cache has " +
                    std::to_string(full.n_layers()));
    CompressedCache out(full.n_layers(), full.n_kv_heads(), full.head_dim(), full.model_fingerprint());
    out.add_tokens(full.tokens());
    const auto d = static_cast<size_t>(full.head_dim());
    for (int64_t l = 0; l < full.n_layers(); ++l)
        for (int64_t h = 0; h < full.n_kv_heads(); ++h) {
            const KvHeadCache& src = full.head(l, h);
            if (src.size() < n_prefilled) throw Error("select_kept: the cache does not hold every prefilled token");
            KvHeadCache& dst = out.head(l, h);
            auto copy_entry = [&](int64_t i) {
                dst.positions.push_back(src.positions[static_cast<size_t>(i)]);
                dst.k.insert(dst.k.end(), src.k.begin() + i * d, src.k.begin() + (i + 1) * d);
                dst.v.insert(dst.v.end(), src.v.begin() + i * d, src.v.begin() + (i + 1) * d);
            };
            for (int32_t i : kept[static_cast<size_t>(l)][static_cast<size_t>(h)]) copy_entry(i);
            for (int64_t i = n_prefilled; i < src.size(); ++i) copy_entry(i);
        }
    return out;
}

}  // namespace engine::eval
