#pragma once
// Deterministic randomness for evaluation prompts: the same seed gives the same bytes on
// every platform, so only std::mt19937_64 (fully specified by the standard) is used and
// the bounded draws and shuffles are written here rather than taken from <random>'s
// distributions, whose output differs between standard libraries.

#include <cstdint>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

namespace glimpse::eval {

// TRAIN prompts feed a later training run, EVAL prompts measure it; they never share a
// source document or a seed.
enum class EvalSplit { Train, Eval };

std::string_view eval_split_name(EvalSplit split);

// The per-sample seed: a hash of (split, base seed, index) whose top bit is the split, so
// seeds of the two splits can never coincide.
uint64_t eval_sample_seed(EvalSplit split, uint64_t base_seed, uint64_t index);

// 64-bit FNV-1a, for stable hashes of names (std::hash differs between libraries).
uint64_t fnv1a_64(std::string_view text);

// splitmix64 finaliser: a well-mixed 64-bit value from any 64-bit value.
uint64_t mix_64(uint64_t value);

class SeededRandom {
public:
    explicit SeededRandom(uint64_t seed) : engine_(seed) {}

    uint64_t next() { return engine_(); }
    // Uniform in [0, bound); bound must be > 0. Rejection sampling keeps it unbiased.
    uint64_t below(uint64_t bound);
    // Uniform in [low, high], both inclusive.
    int64_t between(int64_t low, int64_t high);
    // Uniform in [0, 1) with 53 random bits.
    double unit();

    template <typename T>
    void shuffle(std::vector<T>& items) {
        for (size_t i = items.size(); i > 1; --i)
            std::swap(items[i - 1], items[below(i)]);
    }

    template <typename T>
    const T& pick(const std::vector<T>& items) {
        return items[below(items.size())];
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace glimpse::eval
