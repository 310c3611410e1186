#pragma once
// The learned part of a LookaheadKV adapter in double precision, the shape the ops take and
// the trainer updates (its AdamW master copy); the same shape holds their gradients.

#include "engine/lookahead/lora_target.h"

#include <array>
#include <cstdint>
#include <vector>

namespace engine {

struct LookaheadAdapter;

struct LoraParameters {
    std::vector<double> a;   // [rank][in]; empty when the projection is not adapted
    std::vector<double> b;   // [out][rank]
};

using LayerLora = std::array<LoraParameters, kLoraTargetCount>;

struct LookaheadParameters {
    int64_t n_tokens = 0;
    int64_t dim = 0;
    int64_t rank = 0;
    double scale = 1.0;                  // alpha / rank
    std::vector<double> embeddings;      // [n_tokens][dim]
    std::vector<LayerLora> lora;         // [layer]

    static LookaheadParameters from_adapter(const LookaheadAdapter& adapter);
    // Rounds every value to float into the adapter (same shapes and targets).
    void store_into(LookaheadAdapter& adapter) const;
    // Same shapes, every value zero: a gradient accumulator.
    LookaheadParameters zeros_like() const;
};

}  // namespace engine
