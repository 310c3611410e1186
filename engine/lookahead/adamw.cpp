#include "engine/lookahead/adamw.h"

#include "engine/error.h"

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace engine::lookahead {
namespace {

// Every tensor of a parameter set, in for_each_tensor order.
template <class Params>
auto tensors_of(Params& p) {
    using Vec = std::conditional_t<std::is_const_v<Params>, const std::vector<double>, std::vector<double>>;
    std::vector<std::pair<Vec*, bool>> out;
    for_each_tensor(p, [&](Vec& v, bool lora) { out.emplace_back(&v, lora); });
    return out;
}

}  // namespace

double learning_rate_at(const AdamWOptions& o, int64_t step) {
    if (o.warmup_steps > 0 && step <= o.warmup_steps)
        return o.lr * static_cast<double>(step) / static_cast<double>(o.warmup_steps);
    const int64_t span = o.total_steps - o.warmup_steps;
    if (span <= 0) return o.lr;
    const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / static_cast<double>(span));
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return o.lr * (o.final_lr_fraction + (1.0 - o.final_lr_fraction) * cosine);
}

AdamW::AdamW(const LookaheadParameters& like, AdamWOptions options)
    : options_(options), m_(like.zeros_like()), v_(like.zeros_like()) {}

double AdamW::step(LookaheadParameters& params, const LookaheadParameters& grads) {
    auto p = tensors_of(params);
    auto g = tensors_of(grads);
    auto m = tensors_of(m_);
    auto v = tensors_of(v_);
    if (p.size() != g.size() || p.size() != m.size())
        throw Error("AdamW: parameters, gradients and optimizer state have different layer counts");
    for (size_t i = 0; i < p.size(); ++i)
        if (p[i].first->size() != g[i].first->size() || p[i].first->size() != m[i].first->size())
            throw Error("AdamW: tensor " + std::to_string(i) + " has " + std::to_string(p[i].first->size()) +
                        " parameters but " + std::to_string(g[i].first->size()) + " gradients and " +
                        std::to_string(m[i].first->size()) + " moments");

    ++step_;
    const AdamWOptions& o = options_;
    const double lr = learning_rate_at(o, step_);
    const double c1 = 1.0 - std::pow(o.beta1, static_cast<double>(step_));
    const double c2 = 1.0 - std::pow(o.beta2, static_cast<double>(step_));
    for (size_t i = 0; i < p.size(); ++i) {
        std::vector<double>& pv = *p[i].first;
        const std::vector<double>& gv = *g[i].first;
        std::vector<double>& mv = *m[i].first;
        std::vector<double>& vv = *v[i].first;
        const double decay = p[i].second ? 1.0 - lr * o.weight_decay : 1.0;
        for (size_t j = 0; j < pv.size(); ++j) {
            mv[j] = o.beta1 * mv[j] + (1.0 - o.beta1) * gv[j];
            vv[j] = o.beta2 * vv[j] + (1.0 - o.beta2) * gv[j] * gv[j];
            pv[j] *= decay;
            pv[j] -= lr * (mv[j] / c1) / (std::sqrt(vv[j] / c2) + o.eps);
        }
    }
    return lr;
}

}  // namespace engine::lookahead
