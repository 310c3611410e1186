#include "engine/lookahead/lora_target.h"

namespace engine {

std::string_view lora_target_name(LoraTarget target) {
    switch (target) {
        case LoraTarget::Q: return "q";
        case LoraTarget::K: return "k";
        case LoraTarget::V: return "v";
        case LoraTarget::O: return "o";
        case LoraTarget::Gate: return "gate";
        case LoraTarget::Up: return "up";
        case LoraTarget::Down: return "down";
    }
    return "?";
}

std::optional<LoraTarget> lora_target_from_name(std::string_view name) {
    for (LoraTarget t : kAllLoraTargets)
        if (lora_target_name(t) == name) return t;
    return std::nullopt;
}

int64_t lora_target_in(const ModelConfig& c, LoraTarget target) {
    switch (target) {
        case LoraTarget::O: return c.q_dim();
        case LoraTarget::Down: return c.ffn_dim;
        default: return c.dim;
    }
}

int64_t lora_target_out(const ModelConfig& c, LoraTarget target) {
    switch (target) {
        case LoraTarget::Q: return c.q_dim();
        case LoraTarget::K:
        case LoraTarget::V: return c.kv_dim();
        case LoraTarget::Gate:
        case LoraTarget::Up: return c.ffn_dim;
        default: return c.dim;
    }
}

const WeightMatrix& lora_base_weight(const LayerWeights& w, LoraTarget target) {
    switch (target) {
        case LoraTarget::Q: return w.wq;
        case LoraTarget::K: return w.wk;
        case LoraTarget::V: return w.wv;
        case LoraTarget::O: return w.wo;
        case LoraTarget::Gate: return w.w_gate;
        case LoraTarget::Up: return w.w_up;
        case LoraTarget::Down: return w.w_down;
    }
    return w.wq;
}

}  // namespace engine
