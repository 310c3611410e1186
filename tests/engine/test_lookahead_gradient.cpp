// The lookahead rows through a whole tiny random model (2 layers, width 32, 4 heads, 2 KV
// heads): with the LoRA off their keys, values and logits equal what the engine's own
// forward pass computes for the same embeddings, and the gradient of the training loss
// with respect to the lookahead embeddings and to LoRA entries matches central finite
// differences in double precision (relative error in the 2-norm below 1e-6).

#include "reference/finite_difference.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_ops.h"
#include "engine/lookahead/lookahead_pass.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>

using engine::GgmlType;
using engine::LoraTarget;
using reference::TinySpec;
namespace la = engine::lookahead;

Q_DECLARE_METATYPE(TinySpec)

namespace {

constexpr int64_t kPrompt = 10;
constexpr int64_t kLookahead = 4;
constexpr double kGradientTolerance = 1e-6;
constexpr double kEngineTolerance = 1e-4;

TinySpec small_spec(const char* arch, GgmlType matrices = GgmlType::F32) {
    TinySpec s;
    s.arch = arch;
    s.n_layers = 2;
    s.dim = 32;
    s.ffn_dim = 64;
    s.n_heads = 4;
    s.n_kv_heads = 2;
    s.head_dim = 8;
    s.matrix_type = matrices;
    return s;
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int64_t vocab, int64_t n) {
    std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(vocab - 1));
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = pick(rng);
    return t;
}

// max |a - b| / max |b|.
double scaled_error(const std::vector<double>& a, const std::vector<float>& b) {
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::fabs(a[i] - b[i]));
        scale = std::max(scale, static_cast<double>(std::fabs(b[i])));
    }
    return diff / std::max(scale, 1e-30);
}

void add_arch_rows() {
    QTest::addColumn<TinySpec>("spec");
    QTest::newRow("llama") << small_spec("llama");
    QTest::newRow("qwen2 with QKV bias") << small_spec("qwen2");
    QTest::newRow("qwen3 with QK-norm") << small_spec("qwen3");
}

// A random distribution over the prompt for every KV head of every layer.
std::vector<std::vector<double>> random_targets(std::mt19937_64& rng, const engine::ModelConfig& c, int64_t n_p) {
    std::vector<std::vector<double>> targets;
    std::normal_distribution<double> normal(0.0, 1.5);
    for (int64_t l = 0; l < c.n_layers; ++l) {
        std::vector<double> t(static_cast<size_t>(c.n_kv_heads * n_p));
        for (int64_t h = 0; h < c.n_kv_heads; ++h) {
            double sum = 0.0;
            for (int64_t i = 0; i < n_p; ++i) sum += t[h * n_p + i] = std::exp(normal(rng));
            for (int64_t i = 0; i < n_p; ++i) t[h * n_p + i] /= sum;
        }
        targets.push_back(std::move(t));
    }
    return targets;
}

}  // namespace

class TestLookaheadGradient : public QObject {
    Q_OBJECT

private slots:
    void lookahead_rows_without_lora_match_the_engine_data() {
        add_arch_rows();
        QTest::newRow("llama Q8_0 matrices") << small_spec("llama", GgmlType::Q8_0);
    }

    void lookahead_rows_without_lora_match_the_engine() {
        QFETCH(TinySpec, spec);
        const uint64_t seed = reference::fresh_seed(QTest::currentDataTag());
        std::mt19937_64 rng(seed);
        auto model = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
        const auto& c = model->config();
        const auto tokens = random_tokens(rng, spec.vocab, kPrompt + kLookahead);

        engine::Session whole(model, {.threads = 2, .chunk = 5});
        QVERIFY(whole.prefill(tokens));
        engine::Session prompt(model, {.threads = 2});
        QVERIFY(prompt.prefill(std::span(tokens).first(kPrompt)));

        // The last tokens' embeddings as lookahead rows; B = 0 at initialization, so LoRA is off.
        auto params = engine::LookaheadParameters::from_adapter(
            engine::LookaheadAdapter::initialize(*model, {.n_tokens = kLookahead, .rank = 2}, seed));
        std::vector<float> row(static_cast<size_t>(c.dim));
        const auto& table = model->weights().token_embd;
        for (int64_t i = 0; i < kLookahead; ++i) {
            engine::dequantize_row(table.type, table.row(tokens[kPrompt + i]), row.data(), c.dim);
            for (int64_t d = 0; d < c.dim; ++d) params.embeddings[i * c.dim + d] = row[d];
        }
        const auto dense = la::dequantize_layers(*model);
        const auto kv = la::prompt_kv_of(prompt.cache());
        const auto pass = la::lookahead_forward(*model, dense, params, kv, kPrompt);

        double worst = 0.0;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const auto& head = whole.cache().head(l, h);
                std::vector<double> mine_k, mine_v;
                std::vector<float> engine_k, engine_v;
                for (int64_t i = 0; i < kLookahead; ++i)
                    for (int64_t d = 0; d < c.head_dim; ++d) {
                        mine_k.push_back(pass.layers[l].k[i * c.kv_dim() + h * c.head_dim + d]);
                        mine_v.push_back(pass.layers[l].v[i * c.kv_dim() + h * c.head_dim + d]);
                        engine_k.push_back(head.k.floats()[(kPrompt + i) * c.head_dim + d]);
                        engine_v.push_back(head.v.floats()[(kPrompt + i) * c.head_dim + d]);
                    }
                worst = std::max({worst, scaled_error(mine_k, engine_k), scaled_error(mine_v, engine_v)});
            }

        // The last row's logits, from the last layer's output.
        const double* last = pass.layers.back().h_out.data() + (kLookahead - 1) * c.dim;
        std::vector<double> normed(static_cast<size_t>(c.dim));
        la::rmsnorm_forward(last, model->weights().output_norm.data, 1, c.dim, c.rms_eps, normed.data());
        const auto& out = model->weights().output;
        std::vector<double> logits;
        std::vector<float> out_row(static_cast<size_t>(out.cols));
        for (int64_t r = 0; r < out.rows; ++r) {
            engine::dequantize_row(out.type, out.row(r), out_row.data(), out.cols);
            double acc = 0.0;
            for (int64_t d = 0; d < c.dim; ++d) acc += out_row[d] * normed[d];
            logits.push_back(acc);
        }
        const std::vector<float> engine_logits(whole.logits().begin(), whole.logits().end());
        worst = std::max(worst, scaled_error(logits, engine_logits));
        qInfo("worst relative difference to the engine %.3g (bound %.0e)", worst, kEngineTolerance);
        QVERIFY2(worst < kEngineTolerance, qPrintable(QString("relative difference %1").arg(worst)));
    }

    void loss_gradient_matches_finite_differences_data() { add_arch_rows(); }

    void loss_gradient_matches_finite_differences() {
        QFETCH(TinySpec, spec);
        const uint64_t seed = reference::fresh_seed(QTest::currentDataTag());
        std::mt19937_64 rng(seed);
        auto model = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
        const auto& c = model->config();
        engine::Session prompt(model, {.threads = 2});
        QVERIFY(prompt.prefill(random_tokens(rng, spec.vocab, kPrompt)));
        const auto kv = la::prompt_kv_of(prompt.cache());
        const auto dense = la::dequantize_layers(*model);

        auto params = engine::LookaheadParameters::from_adapter(engine::LookaheadAdapter::initialize(
            *model, {.n_tokens = kLookahead, .rank = 2, .alpha = 4.0f}, seed));
        // B starts at zero, which would hide A's gradient: give it random values.
        std::normal_distribution<double> normal(0.0, 0.3);
        for (auto& layer : params.lora)
            for (auto& m : layer)
                for (double& b : m.b) b = normal(rng);
        const auto targets = random_targets(rng, c, kPrompt);

        auto grads = params.zeros_like();
        const double loss = la::loss_and_gradients(*model, dense, params, kv, kPrompt, targets, grads);
        auto loss_only = [&] {
            auto scratch = params.zeros_like();
            return la::loss_and_gradients(*model, dense, params, kv, kPrompt, targets, scratch);
        };

        // The loss is the mean KL over layers and KV heads of the predicted scores.
        const auto scores = la::lookahead_scores(*model, la::lookahead_forward(*model, dense, params, kv, kPrompt), kv);
        double kl = 0.0;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (size_t i = 0; i < scores[l].size(); ++i) kl += targets[l][i] * std::log(targets[l][i] / scores[l][i]);
        kl /= static_cast<double>(c.n_layers * c.n_kv_heads);
        QVERIFY(loss > 0.0);
        QVERIFY(std::fabs(loss - kl) < 1e-12 * loss);

        const double embedding_error = reference::gradient_error(grads.embeddings, reference::numeric_gradient(params.embeddings, loss_only));
        qInfo("embeddings: relative error %.3g (bound %.0e)", embedding_error, kGradientTolerance);
        QVERIFY2(embedding_error < kGradientTolerance, qPrintable(QString("embeddings: %1").arg(embedding_error)));

        // A few entries of every A and B (the last layer's v, o and FFN get none: the loss reads only its q and k).
        std::vector<double> analytic, numeric;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (LoraTarget t : engine::kAllLoraTargets) {
                for (bool is_a : {true, false}) {
                    auto& values = is_a ? params.lora[l][engine::lora_index(t)].a : params.lora[l][engine::lora_index(t)].b;
                    const auto& g = is_a ? grads.lora[l][engine::lora_index(t)].a : grads.lora[l][engine::lora_index(t)].b;
                    std::uniform_int_distribution<size_t> entry(0, values.size() - 1);
                    const std::vector<size_t> picked{entry(rng), entry(rng), entry(rng)};
                    const auto a = reference::pick(g, picked);
                    const auto n = reference::numeric_gradient(values, loss_only, picked);
                    analytic.insert(analytic.end(), a.begin(), a.end());
                    numeric.insert(numeric.end(), n.begin(), n.end());
                }
            }
        const double lora_error = reference::gradient_error(analytic, numeric);
        qInfo("LoRA entries: relative error %.3g (bound %.0e) over %zu entries", lora_error, kGradientTolerance, analytic.size());
        QVERIFY2(lora_error < kGradientTolerance, qPrintable(QString("LoRA: %1").arg(lora_error)));

        // A small step against the gradient lowers the loss.
        double norm2 = reference::dot(grads.embeddings, grads.embeddings);
        const double step = 1e-3 * loss / std::max(norm2, 1e-30);
        for (size_t i = 0; i < params.embeddings.size(); ++i) params.embeddings[i] -= step * grads.embeddings[i];
        QVERIFY(loss_only() < loss);
    }

    void prompt_cache_with_evicted_tokens_is_refused() {
        const uint64_t seed = reference::fresh_seed("evicted prompt");
        auto model = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(small_spec("llama"), seed)));
        engine::CompressedCache cache(2, 2, 8, model->fingerprint());
        const std::vector<int32_t> tokens{1, 2, 3};
        cache.add_tokens(tokens);   // three tokens read, none kept
        try {
            la::prompt_kv_of(cache);
            QFAIL("a cache missing prompt tokens was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("whole prompt"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestLookaheadGradient)
#include "test_lookahead_gradient.moc"
