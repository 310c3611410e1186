#pragma once
// Windowed reading moves kept keys to compact positions so that a long document's positions
// stay within the range the model was trained on. Keys are cached after RoPE; moving a key
// from position p to p' rotates each of its pairs by (p' - p) * theta_i, which equals RoPE
// at p' of the unrotated key. Values carry no position and stay as they are.

#include "engine/model/model_config.h"
#include "engine/session/compressed_cache.h"

#include <span>

namespace engine {

// Every head's entries move to positions 0, 1, ... in their order; the next token continues
// right after the longest head. Rotation in double. Values and the token list are unchanged.
void compact_positions(CompressedCache& cache, std::span<const float> rope_freqs, RopeStyle style);

// Rotates one key ([head_dim], RoPE pairs as `style` lays them out) by `delta` positions.
void rerotate_key(float* key, int64_t delta, std::span<const float> rope_freqs, RopeStyle style);

}  // namespace engine
