#pragma once
// Settings of the eviction policies, with their papers' defaults.

#include <cstdint>

namespace engine {

struct PolicyOptions {
    int64_t budget = 256;        // tokens kept per KV head per layer
    int64_t n_layers = 0;        // PyramidKV spreads budget * n_layers over the layers
    int64_t window = 32;         // SnapKV/PyramidKV observation window (SnapKV paper)
    int64_t pool_kernel = 7;     // SnapKV max-pooling kernel
    int64_t sinks = 4;           // StreamingLLM attention sinks
    double pyramid_beta = 20.0;  // PyramidKV: the top layer gets budget / beta
};

}  // namespace engine
