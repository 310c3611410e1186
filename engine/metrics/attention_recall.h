#pragma once
// Attention recall: how much of a full-cache attention distribution falls on the tokens a
// policy kept. 1 means eviction lost nothing the response attended to.

#include <cstdint>
#include <span>

namespace engine {

// sum(attention[kept]) / sum(attention). Indices are positions into `attention`; a repeated
// index counts once. Throws engine::Error on an index out of range, a negative or
// non-finite weight, or a distribution with no mass.
double attention_recall(std::span<const double> attention, std::span<const int32_t> kept);
double attention_recall(std::span<const float> attention, std::span<const int32_t> kept);

}  // namespace engine
