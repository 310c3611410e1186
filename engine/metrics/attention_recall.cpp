#include "engine/metrics/attention_recall.h"

#include "engine/error.h"

#include <cmath>
#include <string>
#include <vector>

namespace engine {

namespace {

template <typename T>
double recall_of(std::span<const T> attention, std::span<const int32_t> kept) {
    double total = 0;
    for (size_t i = 0; i < attention.size(); ++i) {
        const double weight = attention[i];
        if (!std::isfinite(weight) || weight < 0)
            throw Error("attention_recall: weight " + std::to_string(i) + " is negative or not finite");
        total += weight;
    }
    if (!(total > 0)) throw Error("attention_recall: the attention distribution has no mass");
    std::vector<bool> counted(attention.size(), false);
    double kept_mass = 0;
    for (int32_t index : kept) {
        if (index < 0 || static_cast<size_t>(index) >= attention.size())
            throw Error("attention_recall: kept index " + std::to_string(index) + " is outside 0.." +
                        std::to_string(attention.size()));
        if (counted[index]) continue;
        counted[index] = true;
        kept_mass += attention[index];
    }
    return kept_mass / total;
}

}  // namespace

double attention_recall(std::span<const double> attention, std::span<const int32_t> kept) {
    return recall_of(attention, kept);
}

double attention_recall(std::span<const float> attention, std::span<const int32_t> kept) {
    return recall_of(attention, kept);
}

}  // namespace engine
