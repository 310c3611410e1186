#pragma once
// The lookahead rows at inference: a LookaheadKV adapter's learned embeddings carried through
// the model one layer at a time, in float on the model's own backend, with the adapter's LoRA
// added to every adapted projection of these rows and nowhere else. Each layer's rows attend
// to that layer's prompt keys and values (read, never written) and causally to each other.
// The double-precision ops in lookahead_layer.h are the training-time twin of this code.

#include "engine/backend.h"

#include <cstdint>
#include <span>
#include <vector>

namespace engine {

class Model;
struct LookaheadAdapter;

class LookaheadRows {
public:
    // Rows at positions first_position, first_position + 1, ... (right after the prompt).
    LookaheadRows(const Model& model, const LookaheadAdapter& adapter, int64_t first_position);

    // Runs layer `layer` (layers must come in order 0, 1, ...). prompt: per KV head, that
    // layer's prompt keys (after RoPE) and values. Afterwards queries() and keys() hold the
    // rows' rotated queries and keys of this layer, the hidden rows its output. With
    // prompt_attention (per KV head an array of prompt[h].n floats), adds to it the softmax
    // weight each prompt key gets, summed over the rows and the query heads of the group:
    // LookaheadKV's scores, from the attention the rows compute anyway.
    void run_layer(Backend& backend, int64_t layer, std::span<const KvSpan> prompt,
                   float* const* prompt_attention = nullptr);

    int64_t rows() const { return m_; }
    int64_t next_layer() const { return next_layer_; }
    const std::vector<float>& hidden() const { return hidden_; }   // [rows][dim]
    const std::vector<float>& queries() const { return q_; }       // [rows][n_heads * head_dim]
    const std::vector<float>& keys() const { return k_; }          // [rows][n_kv_heads * head_dim]

private:
    // y [rows][out] += scale * B (A x) for the adapted projection (no-op when not adapted),
    // through the backend's matrix products.
    void add_lora(Backend& backend, int64_t layer, int target, const float* x, float* y);

    const Model& model_;
    const LookaheadAdapter& adapter_;
    int64_t m_ = 0;
    int64_t next_layer_ = 0;
    std::vector<int32_t> positions_;
    std::vector<float> hidden_, normed_, q_, k_, v_, attn_, proj_, gate_, up_, xa_, lora_out_;
};

}  // namespace engine
