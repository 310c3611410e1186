#pragma once
// A deterministic CompressedCache of realistic shape (SmolLM2-135M: 30 layers, 3 KV heads,
// head_dim 64) that grows turn by turn as a real conversation's does: the first turn keeps
// a strided subset of a long prompt, later turns append all of their tokens. The cache after
// k turns is always a prefix of the one after k+1, so snapshots can be extended.

#include "engine/session/compressed_cache.h"
#include "prompt/document_prompt.h"
#include "store/session_store.h"

#include <cstdint>
#include <string>

namespace synthetic {

inline constexpr int64_t kLayers = 30, kHeads = 3, kHeadDim = 64;
inline constexpr int64_t kFirstTokens = 900, kTurnTokens = 40;
inline constexpr uint64_t kFingerprint = 0x5eed;

inline float value_at(int64_t layer, int64_t head, int64_t position, int64_t d, int which) {
    uint64_t x = static_cast<uint64_t>(((layer * 131 + head) * 1000003 + position) * 257 + d) * 2 + which;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return static_cast<float>(static_cast<int64_t>(x % 2000001) - 1000000) / 1000.0f;
}

inline int64_t tokens_after(int64_t turns) { return turns == 0 ? 0 : kFirstTokens + (turns - 1) * kTurnTokens; }

inline engine::CompressedCache cache_after(int64_t turns, engine::GgmlType kv_type = engine::GgmlType::F32) {
    engine::CompressedCache cache(kLayers, kHeads, kHeadDim, kFingerprint, kv_type);
    const int64_t n = tokens_after(turns);
    std::vector<int32_t> tokens;
    for (int64_t p = 0; p < n; ++p) tokens.push_back(static_cast<int32_t>(p * 7 % 49152));
    cache.add_tokens(tokens);
    for (int64_t l = 0; l < kLayers; ++l)
        for (int64_t h = 0; h < kHeads; ++h) {
            auto& head = cache.head(l, h);
            for (int64_t p = 0; p < n; ++p) {
                // The first turn's prompt keeps about half, differently per head.
                if (p < kFirstTokens && (p + l + h) % 2 != 0) continue;
                float key[kHeadDim], value[kHeadDim];
                for (int64_t d = 0; d < kHeadDim; ++d) {
                    key[d] = value_at(l, h, p, d, 0);
                    value[d] = value_at(l, h, p, d, 1);
                }
                head.push_back(static_cast<int32_t>(p), key, value);
            }
        }
    return cache;
}

inline glimpse::store::SnapshotState state_after(int64_t turns) {
    glimpse::store::SnapshotState s;
    const int64_t n = tokens_after(turns);
    for (int64_t p = 0; p < n; ++p) {
        s.sources.push_back(p < kFirstTokens ? glimpse::TokenSource{0, static_cast<int32_t>(1 + p / 300)}
                                             : glimpse::TokenSource{-1, 0});
        s.cache_text += "t" + std::to_string(p) + " ";
    }
    s.first_turn = 0;
    s.turns = turns;
    return s;
}

inline glimpse::store::SnapshotIdentity identity() { return {"0000000000005eed", "", "snapkv", 512, 1}; }

inline glimpse::store::TurnRecord turn(int64_t index) {
    glimpse::store::TurnRecord t;
    t.question = "question " + std::to_string(index);
    t.answer = "answer " + std::to_string(index) + " [p. " + std::to_string(index % 3 + 1) + "]";
    t.read_tokens = index == 0 ? kFirstTokens : kTurnTokens;
    t.answer_tokens = 12;
    return t;
}

inline std::vector<glimpse::store::StoredDocument> documents() {
    return {{"/nowhere/report.md", {"Report", {{1, "First page."}, {2, "Second page."}, {3, "Third page."}}}}};
}

}  // namespace synthetic
