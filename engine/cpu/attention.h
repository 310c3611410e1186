#pragma once
// Scaled dot-product attention with grouped KV heads over cached plus current tokens.

#include "engine/backend.h"
#include "engine/cpu/thread_pool.h"

#include <vector>

namespace engine::cpu {

// Buffers attention reuses between calls, grown as needed.
struct AttentionScratch {
    std::vector<std::vector<float>> per_thread;   // scores, and decoded rows of a typed cache
    std::vector<float> decoded_past;              // a typed cache decoded once for many queries
    std::vector<float> decode_parts;              // a long decode's parts, before they are merged
    std::vector<float> keys_t;                    // prefill: the keys transposed, per KV head
    std::vector<float> task_sums;                 // prefill: key weights per task, summed after
};

// See AttentionArgs. Past spans may be typed (F16, Q8_0): one query reads their rows in
// place, many queries share one decoded copy.
void attention(ThreadPool& pool, const AttentionArgs& args, AttentionScratch& scratch);

}  // namespace engine::cpu
