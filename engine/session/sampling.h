#pragma once
// Choosing the next token from logits: greedy, or temperature with top-k, top-p and min-p
// filters, a repetition penalty, and a seeded generator so a seed repeats a run exactly.

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace engine {

struct SamplingParams {
    float temperature = 0.0f;        // <= 0: greedy (argmax)
    int64_t top_k = 0;               // keep the k most likely tokens; 0: off
    float top_p = 1.0f;              // keep the smallest set holding this much probability; 1: off
    float min_p = 0.0f;              // drop tokens below min_p times the most likely one's; 0: off
    float repetition_penalty = 1.0f; // > 1 discourages tokens among the last `repetition_window`
    int64_t repetition_window = 64;
    uint64_t seed = 0;
    int64_t max_new_tokens = 256;
    std::vector<std::string> stop_strings = {};  // generation ends before any of these
    std::vector<int32_t> stop_tokens = {};       // in addition to the model's end-of-turn tokens
};

struct TokenProbability {
    int32_t token;
    float probability;
};

// The tokens sampling may pick and their probabilities (summing to 1), most likely first,
// after the penalty, temperature and filters. Greedy gives the single argmax token.
std::vector<TokenProbability> sampling_distribution(std::span<const float> logits,
                                                    std::span<const int32_t> history,
                                                    const SamplingParams& params);

class Sampler {
public:
    explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

    // `history`: tokens so far (for the repetition penalty).
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

private:
    SamplingParams params_;
    std::mt19937_64 rng_;
};

}  // namespace engine
