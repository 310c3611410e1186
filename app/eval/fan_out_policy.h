#pragma once
// One prefill, many eviction policies. A prompt's hidden states do not depend on what is
// evicted (within a layer every prompt token attends to the layer's full K/V), so one full
// prefill can ask every policy which tokens it would keep, time each, and keep everything
// itself; each policy's cache is then cut out of the full one (CompressedCache::keep_entries).

#include "engine/session/compressed_cache.h"
#include "engine/eviction/eviction_policy.h"

#include <memory>
#include <vector>

namespace glimpse::eval {

class FanOutPolicy final : public engine::EvictionPolicy {
public:
    // record_window: also save each layer's last (up to) that many queries, for policies
    // that choose after the prefill (the lookahead ones).
    explicit FanOutPolicy(std::vector<std::shared_ptr<engine::EvictionPolicy>> policies, int64_t record_window = 0);

    std::string name() const override { return "fan-out"; }
    int64_t query_window() const override { return window_; }
    bool wants_key_attention() const override { return wants_attention_; }
    bool wants_observation_attention() const override { return wants_observation_; }
    std::vector<std::vector<int32_t>> keep(const engine::EvictionInput& input) override;

    // kept(p)[layer][kv_head]: indices into the prefilled tokens that policy p kept.
    const std::vector<std::vector<std::vector<int32_t>>>& kept(size_t policy) const { return kept_[policy]; }
    // Milliseconds policy p spent choosing, over all layers.
    double eviction_ms(size_t policy) const { return eviction_ms_[policy]; }
    // Of eviction_ms, what policy p spent running rows of its own (EvictionPolicy::rows_seconds).
    double rows_ms(size_t policy) const { return rows_ms_[policy]; }
    double total_eviction_ms() const;
    // Layer l's saved window queries, [n_window()][n_heads * head_dim] (empty without a record window).
    const std::vector<float>& window_queries(size_t layer) const { return window_queries_[layer]; }
    int64_t n_window() const { return n_window_; }

private:
    std::vector<std::shared_ptr<engine::EvictionPolicy>> policies_;
    int64_t window_ = 0;
    bool wants_attention_ = false;
    bool wants_observation_ = false;
    std::vector<std::vector<std::vector<std::vector<int32_t>>>> kept_;
    std::vector<double> eviction_ms_;
    std::vector<double> rows_ms_;
    std::vector<std::vector<float>> window_queries_;
    int64_t n_window_ = 0;
};

}  // namespace glimpse::eval
