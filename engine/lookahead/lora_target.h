#pragma once
// The seven projections of a transformer layer that a LookaheadKV LoRA can adapt, with the
// shapes the base model gives them.

#include "engine/model/model_config.h"
#include "engine/model/model_weights.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace engine {

using LoraTarget = Projection;   // a LoRA adapts one of the layer's projections

inline constexpr int kLoraTargetCount = 7;
inline constexpr std::array<LoraTarget, kLoraTargetCount> kAllLoraTargets{
    LoraTarget::Q, LoraTarget::K, LoraTarget::V, LoraTarget::O, LoraTarget::Gate, LoraTarget::Up, LoraTarget::Down};

// "q", "k", "v", "o", "gate", "up", "down": the names used in adapter files.
std::string_view lora_target_name(LoraTarget target);
std::optional<LoraTarget> lora_target_from_name(std::string_view name);

// Input and output width of the projection in this model (y = W x, W is [out][in]).
int64_t lora_target_in(const ModelConfig& config, LoraTarget target);
int64_t lora_target_out(const ModelConfig& config, LoraTarget target);

// The base model's weight of that projection in a layer.
const WeightMatrix& lora_base_weight(const LayerWeights& layer, LoraTarget target);

inline size_t lora_index(LoraTarget target) { return static_cast<size_t>(target); }

}  // namespace engine
