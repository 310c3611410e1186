#include "engine/session/sampling.h"

#include "engine/error.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace engine {
namespace {

std::vector<float> penalized_logits(std::span<const float> logits, std::span<const int32_t> history,
                                    const SamplingParams& p) {
    std::vector<float> out(logits.begin(), logits.end());
    if (p.repetition_penalty == 1.0f || p.repetition_window <= 0) return out;
    const size_t from = history.size() > static_cast<size_t>(p.repetition_window)
                            ? history.size() - static_cast<size_t>(p.repetition_window) : 0;
    std::unordered_set<int32_t> seen(history.begin() + static_cast<std::ptrdiff_t>(from), history.end());
    for (int32_t t : seen) {
        if (t < 0 || static_cast<size_t>(t) >= out.size()) continue;
        // Divide positive logits and multiply negative ones, so the token always becomes less likely.
        out[static_cast<size_t>(t)] = out[static_cast<size_t>(t)] > 0.0f ? out[static_cast<size_t>(t)] / p.repetition_penalty
                                                                          : out[static_cast<size_t>(t)] * p.repetition_penalty;
    }
    return out;
}

void check_params(const SamplingParams& p) {
    if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) throw Error("sampling: top_p must be in (0, 1]");
    if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) throw Error("sampling: min_p must be in [0, 1]");
    if (!(p.repetition_penalty > 0.0f)) throw Error("sampling: repetition_penalty must be positive");
    if (p.top_k < 0) throw Error("sampling: top_k must not be negative");
}

}  // namespace

std::vector<TokenProbability> sampling_distribution(std::span<const float> logits, std::span<const int32_t> history,
                                                    const SamplingParams& p) {
    check_params(p);
    if (logits.empty()) throw Error("sampling: no logits");
    const std::vector<float> scores = penalized_logits(logits, history, p);

    if (p.temperature <= 0.0f) {
        const auto best = std::max_element(scores.begin(), scores.end()) - scores.begin();
        return {{static_cast<int32_t>(best), 1.0f}};
    }

    std::vector<TokenProbability> c(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) c[i] = {static_cast<int32_t>(i), scores[i] / p.temperature};
    auto by_score = [](const TokenProbability& a, const TokenProbability& b) {
        return a.probability > b.probability || (a.probability == b.probability && a.token < b.token);
    };
    size_t keep = c.size();
    if (p.top_k > 0 && static_cast<size_t>(p.top_k) < keep) {
        keep = static_cast<size_t>(p.top_k);
        std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep), c.end(), by_score);
        c.resize(keep);
    } else {
        std::sort(c.begin(), c.end(), by_score);
    }

    // Softmax over what is left (c is sorted, so c[0] holds the maximum).
    const float max_score = c[0].probability;
    double sum = 0.0;
    for (auto& t : c) {
        t.probability = std::exp(t.probability - max_score);
        sum += t.probability;
    }
    for (auto& t : c) t.probability = static_cast<float>(t.probability / sum);

    if (p.min_p > 0.0f) {
        const float floor = p.min_p * c[0].probability;
        c.erase(std::find_if(c.begin() + 1, c.end(), [&](const auto& t) { return t.probability < floor; }), c.end());
    }
    if (p.top_p < 1.0f) {
        double mass = 0.0;
        size_t n = 0;
        while (n < c.size() && mass < p.top_p) mass += c[n++].probability;
        c.resize(std::max<size_t>(n, 1));
    }
    double kept = 0.0;
    for (const auto& t : c) kept += t.probability;
    for (auto& t : c) t.probability = static_cast<float>(t.probability / kept);
    return c;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
    const auto dist = sampling_distribution(logits, history, params_);
    if (dist.size() == 1) return dist[0].token;
    // 53 random bits as a double in [0, 1): the same on every standard library.
    const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    double acc = 0.0;
    for (const auto& t : dist) {
        acc += t.probability;
        if (u < acc) return t.token;
    }
    return dist.back().token;
}

}  // namespace engine
