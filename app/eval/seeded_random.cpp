#include "app/eval/seeded_random.h"

#include "engine/error.h"

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

std::string_view eval_split_name(EvalSplit split) {
    return split == EvalSplit::Train ? "train" : "eval";
}

uint64_t mix_64(uint64_t value) {
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

uint64_t fnv1a_64(std::string_view text) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

uint64_t eval_sample_seed(EvalSplit split, uint64_t base_seed, uint64_t index) {
    uint64_t hash = mix_64(mix_64(base_seed) ^ mix_64(index ^ 0x5bd1e9955bd1e995ULL));
    hash &= ~(1ULL << 63);
    if (split == EvalSplit::Eval) hash |= 1ULL << 63;
    return hash;
}

uint64_t SeededRandom::below(uint64_t bound) {
    if (bound == 0) throw Error("SeededRandom::below: the bound must be positive");
    // Reject the top partial copy of [0, bound) so every value is equally likely.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do value = engine_();
    while (value >= limit);
    return value % bound;
}

int64_t SeededRandom::between(int64_t low, int64_t high) {
    if (high < low) throw Error("SeededRandom::between: empty range");
    const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    if (span == UINT64_MAX) return static_cast<int64_t>(engine_());
    return static_cast<int64_t>(static_cast<uint64_t>(low) + below(span + 1));
}

double SeededRandom::unit() {
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

}  // namespace glimpse::eval
