#pragma once
// Scaled dot-product attention with grouped KV heads over cached plus current tokens.

#include "engine/backend.h"
#include "engine/cpu/thread_pool.h"

#include <vector>

namespace engine::cpu {

// See AttentionArgs. `scores` holds per-thread scratch, grown as needed.
void attention(ThreadPool& pool, const AttentionArgs& args, std::vector<std::vector<float>>& scores);

}  // namespace engine::cpu
