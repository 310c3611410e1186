#pragma once
// LookaheadKV (Ahn et al. 2026): a trained adapter's lookahead rows follow the prompt through
// every layer of the prefill (engine/lookahead/lookahead_rows.h); at each layer their
// attention to the prompt, averaged over rows and grouped query heads and max-pooled along
// the sequence, scores the prompt tokens, and each KV head keeps its top B. The rows are
// dropped afterwards: the prompt's own hidden states, K/V and logits are those of a run
// without the adapter.

#include "engine/eviction/policy_options.h"
#include "engine/eviction/eviction_policy.h"

#include <memory>

namespace engine {

class LookaheadRows;

class LookaheadKvPolicy final : public EvictionPolicy {
public:
    // Needs options.adapter or options.adapter_path (then loaded and checked against the model
    // on the first layer). Throws engine::Error for a bad budget or no adapter.
    explicit LookaheadKvPolicy(const PolicyOptions& options);
    ~LookaheadKvPolicy() override;

    std::string name() const override { return "lookahead"; }
    int64_t budget() const override { return budget_; }
    static std::string describe();
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;
    double rows_seconds() const override { return rows_seconds_; }

    // The adapter in use (loaded by the first keep() when only a path was given).
    std::shared_ptr<const LookaheadAdapter> adapter() const { return adapter_; }

private:
    void start(const EvictionInput& input);
    std::vector<KvSpan> prompt_spans(const EvictionInput& input);

    int64_t budget_;
    int64_t recent_window_;
    std::filesystem::path adapter_path_;
    std::shared_ptr<const LookaheadAdapter> adapter_;
    std::unique_ptr<LookaheadRows> rows_;
    std::vector<std::vector<float>> joined_k_, joined_v_;   // per KV head, past + new, when a past exists
    std::vector<std::vector<float>> attention_;             // per KV head, the rows' attention to the prompt
    double rows_seconds_ = 0.0;
};

}  // namespace engine
