#pragma once
// The small imperative op set the forward pass is written in. A backend owns its threads
// (or device); buffers are plain float arrays, row-major, one row per token.

#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace engine {

// Cached keys and values of one KV head: `n` rows of head_dim floats, rows `stride` floats
// apart; or, for a cache kept at lower precision (F16, Q8_0), `n` encoded rows `row_bytes`
// apart, which attention decodes as it reads them.
struct KvSpan {
    const float* k = nullptr;
    const float* v = nullptr;
    int64_t n = 0;
    int64_t stride = 0;
    GgmlType type = GgmlType::F32;
    const uint8_t* k_rows = nullptr;     // when type is not F32
    const uint8_t* v_rows = nullptr;
    int64_t row_bytes = 0;
};

struct AttentionArgs {
    const float* q = nullptr;     // [n_q][n_heads * head_dim], after RoPE
    int64_t n_q = 0;
    int64_t n_heads = 0;
    int64_t n_kv_heads = 0;
    int64_t head_dim = 0;
    // Per KV head, tokens before the current ones; every query sees all of them.
    std::span<const KvSpan> past;
    // The current tokens' keys and values, [n_cur][n_kv_heads * head_dim], causal: query i is
    // current token q_offset + i and sees current tokens 0 ..= q_offset + i. With n_cur = 0
    // (and q_offset = 0) every query sees only the past.
    const float* k = nullptr;
    const float* v = nullptr;
    int64_t n_cur = 0;
    int64_t q_offset = 0;
    float scale = 1.0f;
    float* out = nullptr;         // [n_q][n_heads * head_dim]
    // Optional [n_heads][key_attention_stride]: adds each current key's softmax weight,
    // summed over the queries (H2O-style scores).
    float* key_attention = nullptr;
    int64_t key_attention_stride = 0;
    // Optional, per KV head an array of past[kv_head].n floats: adds the softmax weight each
    // cached key received, summed over the queries and the query heads sharing that KV head
    // (which cached tokens an answer drew on).
    float* const* past_attention = nullptr;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual int threads() const = 0;

    // Sessions on different threads may share a backend (its threads and scratch): each
    // forward pass holds this for its duration. Recursive, as a draft policy's pass runs
    // another session's passes inside its own.
    std::recursive_mutex& turn() { return turn_; }

    // out[i] = row tokens[i] of the table, as floats. Throws for a token id out of range.
    virtual void embed(const WeightMatrix& table, std::span<const int32_t> tokens, float* out) = 0;
    // Per row of `dim`: out = x / rms(x) * weight. out may be x.
    virtual void rmsnorm(const float* x, const WeightVector& weight, int64_t n_rows, int64_t dim,
                         float eps, float* out) = 0;
    // out[t][r] = sum_c W[r][c] * x[t][c], x: [n_rows][w.cols], out: [n_rows][w.rows].
    virtual void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out) = 0;
    // x[t][:] += bias for each of n_rows rows.
    virtual void add_bias(float* x, const WeightVector& bias, int64_t n_rows) = 0;
    // Rotates the first freqs.size()*2 dims of every head of every row at positions[row].
    virtual void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim,
                      std::span<const int32_t> positions, std::span<const float> freqs, RopeStyle style) = 0;
    virtual void attention(const AttentionArgs& args) = 0;
    // out = silu(gate) * up, elementwise over n values.
    virtual void swiglu(const float* gate, const float* up, int64_t n, float* out) = 0;
    // x += y over n values.
    virtual void add(float* x, const float* y, int64_t n) = 0;
    // In-place softmax over n values.
    virtual void softmax(float* x, int64_t n) = 0;
    // Indices of the k largest values, largest first (ties: lower index first).
    virtual std::vector<int32_t> top_k(const float* x, int64_t n, int64_t k) = 0;

private:
    std::recursive_mutex turn_;
};

// The CPU backend with `threads` workers (0: one per hardware thread). With q8_activations,
// block-format matmuls round activations to 8 bits for integer dots: faster, less exact.
std::unique_ptr<Backend> make_cpu_backend(int threads = 0, bool q8_activations = false);

}  // namespace engine
