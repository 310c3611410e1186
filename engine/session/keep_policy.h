#pragma once
// Which prompt tokens a layer keeps in the compressed cache. After all new tokens have
// passed through a layer, the policy sees that layer's keys (after RoPE) and values, plus
// what it asked for up front, and returns the kept token indices per KV head.

#include "engine/backend.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace engine {

class Model;

struct LayerKeepInput {
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
    // Optional queries of tokens that come after all new tokens (a drafted answer),
    // [n_lookahead][n_heads * head_dim] after RoPE; each sees every new token. Set by
    // two-pass prefills (engine/eviction/lookahead_prefill.h), never by the forward pass.
    const float* lookahead_queries = nullptr;
    int64_t n_lookahead = 0;
    // What the forward pass runs on, for policies that compute through the layer themselves
    // (LookaheadKV's learned rows): the model, its backend, and per KV head the tokens this
    // layer already cached before the new ones. Null / empty when the caller has none.
    const Model* model = nullptr;
    Backend* backend = nullptr;
    std::span<const KvSpan> past;
};

class KeepPolicy {
public:
    virtual ~KeepPolicy() = default;
    virtual std::string name() const = 0;
    // How many of the last queries keep() needs (0: none).
    virtual int64_t query_window() const { return 0; }
    // Whether keep() needs the accumulated attention per key.
    virtual bool wants_key_attention() const { return false; }
    // Kept indices into the new tokens, per KV head: ascending, unique, < n_tokens.
    virtual std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) = 0;
};

// Keeps every token: the uncompressed baseline.
class FullPolicy final : public KeepPolicy {
public:
    std::string name() const override { return "full"; }
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;
};

// Throws engine::Error naming the policy and layer when `kept` breaks the contract above.
void check_kept_indices(const KeepPolicy& policy, const LayerKeepInput& input,
                        const std::vector<std::vector<int32_t>>& kept);

}  // namespace engine
