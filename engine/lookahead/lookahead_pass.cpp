#include "engine/lookahead/lookahead_pass.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_score.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"

#include <cmath>
#include <string>

namespace engine::lookahead {
namespace {

std::span<const KvSpan> layer_kv(const ModelConfig& c, std::span<const KvSpan> prompt_kv, int64_t layer) {
    return prompt_kv.subspan(static_cast<size_t>(layer * c.n_kv_heads), static_cast<size_t>(c.n_kv_heads));
}

LayerInputs inputs_for(const Model& model, const std::vector<DenseLayer>& dense, const LookaheadParameters& params,
                       std::span<const KvSpan> prompt_kv, int64_t first_position, int64_t layer) {
    LayerInputs in;
    in.config = &model.config();
    in.rope_freqs = model.rope_freqs();
    in.weights = &dense[static_cast<size_t>(layer)];
    in.lora = &params.lora[static_cast<size_t>(layer)];
    in.rank = params.rank;
    in.lora_scale = params.scale;
    in.prompt = layer_kv(model.config(), prompt_kv, layer);
    in.first_position = first_position;
    return in;
}

void check_shapes(const Model& model, const std::vector<DenseLayer>& dense, const LookaheadParameters& params,
                  std::span<const KvSpan> prompt_kv) {
    const ModelConfig& c = model.config();
    if (static_cast<int64_t>(dense.size()) != c.n_layers || static_cast<int64_t>(params.lora.size()) != c.n_layers)
        throw Error("lookahead pass: " + std::to_string(dense.size()) + " dense layers and LoRA for " +
                    std::to_string(params.lora.size()) + ", the model has " + std::to_string(c.n_layers));
    if (params.dim != c.dim || static_cast<int64_t>(params.embeddings.size()) != params.n_tokens * c.dim)
        throw Error("lookahead pass: embeddings do not match the model width " + std::to_string(c.dim));
    if (static_cast<int64_t>(prompt_kv.size()) != c.n_layers * c.n_kv_heads)
        throw Error("lookahead pass: prompt K/V for " + std::to_string(prompt_kv.size()) + " heads, expected " +
                    std::to_string(c.n_layers * c.n_kv_heads));
}

AttentionShape shape_of(const ModelConfig& c, int64_t m) {
    return {m, c.n_heads, c.n_kv_heads, c.head_dim, 1.0 / std::sqrt(static_cast<double>(c.head_dim))};
}

}  // namespace

std::vector<KvSpan> prompt_kv_of(const CompressedCache& cache) {
    if (cache.kv_type() != GgmlType::F32) throw Error("lookahead training reads an f32 KV cache");
    std::vector<KvSpan> spans;
    for (int64_t l = 0; l < cache.n_layers(); ++l)
        for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
            const KvHeadCache& hc = cache.head(l, h);
            if (hc.size() != cache.next_position())
                throw Error("lookahead training needs the whole prompt cached, but layer " + std::to_string(l) +
                            " head " + std::to_string(h) + " keeps " + std::to_string(hc.size()) + " of " +
                            std::to_string(cache.next_position()) + " tokens");
            spans.push_back(hc.span());
        }
    return spans;
}

LookaheadPass lookahead_forward(const Model& model, const std::vector<DenseLayer>& dense,
                                const LookaheadParameters& params, std::span<const KvSpan> prompt_kv,
                                int64_t first_position) {
    check_shapes(model, dense, params, prompt_kv);
    LookaheadPass pass;
    pass.layers.resize(dense.size());
    const double* h = params.embeddings.data();
    for (size_t l = 0; l < dense.size(); ++l) {
        const LayerInputs in = inputs_for(model, dense, params, prompt_kv, first_position, static_cast<int64_t>(l));
        layer_forward(in, h, params.n_tokens, pass.layers[l]);
        h = pass.layers[l].h_out.data();
    }
    return pass;
}

std::vector<std::vector<double>> lookahead_scores(const Model& model, const LookaheadPass& pass,
                                                  std::span<const KvSpan> prompt_kv) {
    const ModelConfig& c = model.config();
    std::vector<std::vector<double>> scores;
    for (size_t l = 0; l < pass.layers.size(); ++l) {
        const LayerTape& t = pass.layers[l];
        const auto kv = layer_kv(c, prompt_kv, static_cast<int64_t>(l));
        std::vector<double> dist(static_cast<size_t>(c.n_kv_heads * prompt_length(kv, c.n_kv_heads)));
        prompt_scores(shape_of(c, t.m), t.q.data(), kv, t.k.data(), dist.data());
        scores.push_back(std::move(dist));
    }
    return scores;
}

double loss_and_gradients(const Model& model, const std::vector<DenseLayer>& dense, const LookaheadParameters& params,
                          std::span<const KvSpan> prompt_kv, int64_t first_position,
                          const std::vector<std::vector<double>>& targets, LookaheadParameters& grads) {
    const ModelConfig& c = model.config();
    const LookaheadPass pass = lookahead_forward(model, dense, params, prompt_kv, first_position);
    if (static_cast<int64_t>(targets.size()) != c.n_layers)
        throw Error("lookahead loss: targets for " + std::to_string(targets.size()) + " layers, the model has " +
                    std::to_string(c.n_layers));
    if (grads.lora.size() != params.lora.size() || grads.embeddings.size() != params.embeddings.size())
        throw Error("lookahead loss: gradient buffers do not match the parameters (use zeros_like)");

    const int64_t m = params.n_tokens;
    const double weight = 1.0 / static_cast<double>(c.n_layers * c.n_kv_heads);
    double loss = 0.0;
    std::vector<double> dh(static_cast<size_t>(m * c.dim), 0.0), dh_in(dh.size());
    for (int64_t l = c.n_layers - 1; l >= 0; --l) {
        const LayerTape& t = pass.layers[static_cast<size_t>(l)];
        const auto kv = layer_kv(c, prompt_kv, l);
        const int64_t n_p = prompt_length(kv, c.n_kv_heads);
        if (static_cast<int64_t>(targets[static_cast<size_t>(l)].size()) != c.n_kv_heads * n_p)
            throw Error("lookahead loss: layer " + std::to_string(l) + " target has " +
                        std::to_string(targets[static_cast<size_t>(l)].size()) + " values, expected " +
                        std::to_string(c.n_kv_heads * n_p));
        std::vector<double> dq(static_cast<size_t>(m * c.q_dim()), 0.0), dk(static_cast<size_t>(m * c.kv_dim()), 0.0);
        loss += prompt_scores_kl_backward(shape_of(c, m), t.q.data(), kv, t.k.data(),
                                          targets[static_cast<size_t>(l)].data(), weight, dq.data(), dk.data());
        const LayerInputs in = inputs_for(model, dense, params, prompt_kv, first_position, l);
        layer_backward(in, t, dh.data(), dq.data(), dk.data(), grads.lora[static_cast<size_t>(l)], dh_in.data());
        dh.swap(dh_in);
    }
    for (size_t i = 0; i < dh.size(); ++i) grads.embeddings[i] += dh[i];
    return loss;
}

}  // namespace engine::lookahead
