#pragma once
// Which prompt tokens each layer keeps in the compressed cache. After all new tokens have
// passed through a layer, the policy sees that layer's keys (after RoPE) and values, plus
// what it asked for up front, and returns the kept token indices per KV head. A policy
// that needs more than one pass over the prompt (the draft policies) also overrides
// prefill(); Session::prefill is the only caller of either.

#include "engine/backend.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace engine {

class CompressedCache;
class Model;
struct PrefillContext;

struct EvictionInput {
    int64_t layer = 0;
    int64_t n_layers = 0;                  // layers in the model (per-layer budgets)
    int64_t n_tokens = 0;                  // new tokens in this layer
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    const float* k = nullptr;              // [n_tokens][n_kv_heads * head_dim], after RoPE
    const float* v = nullptr;              // [n_tokens][n_kv_heads * head_dim]
    std::span<const int32_t> positions;    // absolute position of each new token
    // The last n_window queries of the new tokens, [n_window][n_heads * head_dim] after RoPE
    // (SnapKV's observation window); n_window = min(query_window(), n_tokens).
    const float* window_queries = nullptr;
    int64_t n_window = 0;
    // When asked for: [n_heads][n_tokens], the attention each new token received, summed
    // over all new queries (H2O's accumulated score).
    const float* key_attention = nullptr;
    // When asked for: [n_heads][n_tokens], the attention each new token received from the
    // n_window window queries alone, summed (SnapKV's scores before the mean), taken by the
    // forward pass while it computes that attention anyway.
    const float* observation_attention = nullptr;
    // Queries of a drafted answer that comes after all new tokens, [n_draft][n_heads *
    // head_dim] after RoPE; each sees every new token. Set by the draft policies' own
    // prefill (draft_policy.h), never by the forward pass.
    const float* draft_queries = nullptr;
    int64_t n_draft = 0;
    // Windowed reading's question after a window: the last n_probe new tokens. Their queries
    // choose with the others (window, key attention, lookahead rows), but they are never kept
    // and take none of the budget: only the first n_candidates() tokens can be.
    int64_t n_probe = 0;
    int64_t n_candidates() const { return n_tokens - n_probe; }
    // What the forward pass runs on, for policies that compute through the layer themselves
    // (LookaheadKV's learned rows): the model, its backend, and per KV head the tokens this
    // layer already cached before the new ones. Null / empty when the caller has none.
    const Model* model = nullptr;
    Backend* backend = nullptr;
    std::span<const KvSpan> past;
};

class EvictionPolicy {
public:
    virtual ~EvictionPolicy() = default;
    virtual std::string name() const = 0;
    // How many of the last queries keep() needs (0: none).
    virtual int64_t query_window() const { return 0; }
    // Tokens kept per KV head and layer (B); 0 for a policy that keeps everything.
    virtual int64_t budget() const { return 0; }
    // Whether keep() needs the accumulated attention per key.
    virtual bool wants_key_attention() const { return false; }
    // Whether keep() can score from the window queries' attention sums (observation_attention).
    virtual bool wants_observation_attention() const { return false; }
    // Kept indices into the new tokens, per KV head: ascending, unique, < n_candidates().
    virtual std::vector<std::vector<int32_t>> keep(const EvictionInput& input) = 0;
    // Seconds keep() has spent so far running rows of its own through the model (LookaheadKV's
    // lookahead rows); the rest of its time is scoring and selection. Reported apart because
    // they scale differently: rows with the model, scoring with the prompt.
    virtual double rows_seconds() const { return 0.0; }

    // Reads `tokens` into `cache` (after what it holds) and writes the last token's logits.
    // The default is one layer-major pass with keep() choosing at every layer. Returns
    // false when cancelled, leaving cache and logits exactly as they were.
    virtual bool prefill(PrefillContext& context, std::span<const int32_t> tokens, CompressedCache& cache,
                         std::vector<float>& logits);
};

// Keeps every token: the uncompressed baseline.
class FullPolicy final : public EvictionPolicy {
public:
    std::string name() const override { return "full"; }
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;
};

// Throws engine::Error naming the policy and layer when `kept` breaks the contract above.
void check_kept_indices(const EvictionPolicy& policy, const EvictionInput& input,
                        const std::vector<std::vector<int32_t>>& kept);

}  // namespace engine
