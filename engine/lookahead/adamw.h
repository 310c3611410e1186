#pragma once
// AdamW over the LookaheadKV parameters (the trainer's optimizer), with the learning rate
// warmed up linearly and then decayed along a cosine to a tenth of its peak.
//
//   m = b1 m + (1 - b1) g        v = b2 v + (1 - b2) g^2
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// Weight decay is decoupled (p *= 1 - lr * wd before the step) and touches only the LoRA
// matrices: shrinking the lookahead embeddings towards zero would shrink their norm, which
// the model never sees for real tokens.

#include "engine/lookahead/lookahead_parameters.h"

#include <cstdint>

namespace engine::lookahead {

struct AdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    int64_t warmup_steps = 0;
    int64_t total_steps = 0;          // cosine horizon; <= warmup: constant after warmup
    double final_lr_fraction = 0.1;
};

// The learning rate of update number `step` (1-based).
double learning_rate_at(const AdamWOptions& options, int64_t step);

class AdamW {
public:
    AdamW(const LookaheadParameters& like, AdamWOptions options);

    // One update of params with grads (same shapes); returns the learning rate used.
    double step(LookaheadParameters& params, const LookaheadParameters& grads);

    const AdamWOptions& options() const { return options_; }
    int64_t steps_taken() const { return step_; }

    // The moment estimates and step count, for checkpoints.
    LookaheadParameters& first_moment() { return m_; }
    LookaheadParameters& second_moment() { return v_; }
    const LookaheadParameters& first_moment() const { return m_; }
    const LookaheadParameters& second_moment() const { return v_; }
    void set_steps_taken(int64_t step) { step_ = step; }

private:
    AdamWOptions options_;
    LookaheadParameters m_, v_;
    int64_t step_ = 0;
};

// Calls fn(values, is_lora) on every tensor of p in a fixed order (embeddings, then per
// layer and target A and B); used to walk parameters, gradients and moments side by side.
template <class Params, class Fn>
void for_each_tensor(Params& p, Fn&& fn) {
    fn(p.embeddings, false);
    for (auto& layer : p.lora)
        for (auto& m : layer) {
            fn(m.a, true);
            fn(m.b, true);
        }
}

}  // namespace engine::lookahead
