#include "engine/lookahead/lookahead_parameters.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_adapter.h"

namespace engine {
namespace {

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

void narrow(const std::vector<double>& from, std::vector<float>& to) {
    if (from.size() != to.size())
        throw Error("LookaheadKV parameters do not match the adapter's shapes (" + std::to_string(from.size()) +
                    " values for " + std::to_string(to.size()) + ")");
    for (size_t i = 0; i < from.size(); ++i) to[i] = static_cast<float>(from[i]);
}

}  // namespace

LookaheadParameters LookaheadParameters::from_adapter(const LookaheadAdapter& a) {
    LookaheadParameters p;
    p.n_tokens = a.options.n_tokens;
    p.dim = a.base.dim;
    p.rank = a.options.rank;
    p.scale = static_cast<double>(a.options.alpha) / static_cast<double>(a.options.rank);
    p.embeddings = widen(a.embeddings);
    p.lora.resize(a.lora.size());
    for (size_t l = 0; l < a.lora.size(); ++l)
        for (size_t t = 0; t < a.lora[l].size(); ++t) {
            p.lora[l][t].a = widen(a.lora[l][t].a);
            p.lora[l][t].b = widen(a.lora[l][t].b);
        }
    return p;
}

void LookaheadParameters::store_into(LookaheadAdapter& a) const {
    if (a.lora.size() != lora.size())
        throw Error("LookaheadKV parameters have " + std::to_string(lora.size()) + " layers, the adapter " +
                    std::to_string(a.lora.size()));
    narrow(embeddings, a.embeddings);
    for (size_t l = 0; l < lora.size(); ++l)
        for (size_t t = 0; t < lora[l].size(); ++t) {
            narrow(lora[l][t].a, a.lora[l][t].a);
            narrow(lora[l][t].b, a.lora[l][t].b);
        }
}

LookaheadParameters LookaheadParameters::zeros_like() const {
    LookaheadParameters z = *this;
    std::fill(z.embeddings.begin(), z.embeddings.end(), 0.0);
    for (auto& layer : z.lora)
        for (auto& m : layer) {
            std::fill(m.a.begin(), m.a.end(), 0.0);
            std::fill(m.b.begin(), m.b.end(), 0.0);
        }
    return z;
}

}  // namespace engine
