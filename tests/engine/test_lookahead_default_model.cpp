// LookaheadKV on the default model (SmolLM2-135M, Q4_1): an adapter made for it saves and
// loads bit-exactly and is refused by another model; with the LoRA off the lookahead rows'
// keys and values in every layer equal the engine's own for the same embeddings; and the
// training loss and its gradient on a real prompt are finite.

#include "reference/finite_difference.h"
#include "reference/tiny_model.h"
#include "test_support.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_pass.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>

namespace la = engine::lookahead;

class TestLookaheadDefaultModel : public QObject {
    Q_OBJECT

    std::shared_ptr<const engine::Model> model_;

private slots:
    void initTestCase() { model_ = engine::Model::open(test_support::default_model()); }

    void adapter_for_the_default_model_round_trips() {
        const uint64_t seed = reference::fresh_seed("default model adapter");
        const auto a = engine::LookaheadAdapter::initialize(*model_, {}, seed);
        QCOMPARE(a.base.architecture, std::string("llama"));
        QCOMPARE(a.embeddings.size(), size_t(32 * model_->config().dim));
        QTemporaryDir dir;
        const std::filesystem::path path = dir.filePath("SmolLM2.lookahead.gguf").toStdString();
        a.save(path);
        QVERIFY(engine::LookaheadAdapter::load(path, *model_) == a);

        auto tiny = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model({}, seed), "tiny"));
        try {
            engine::LookaheadAdapter::load(path, *tiny);
            QFAIL("the default model's adapter was accepted by a tiny random model");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("another model"), e.what());
        }
    }

    void lookahead_rows_match_the_engine_and_the_loss_is_finite() {
        const uint64_t seed = reference::fresh_seed("default model lookahead rows");
        std::mt19937_64 rng(seed);
        const auto& c = model_->config();
        const int64_t n_p = 48, m = 8;
        std::vector<int32_t> tokens(static_cast<size_t>(n_p + m));
        std::uniform_int_distribution<int32_t> pick(100, 20000);
        for (auto& t : tokens) t = pick(rng);

        engine::Session whole(model_, {.threads = 2});
        QVERIFY(whole.prefill(tokens));
        engine::Session prompt(model_, {.threads = 2});
        QVERIFY(prompt.prefill(std::span(tokens).first(n_p)));

        auto params = engine::LookaheadParameters::from_adapter(
            engine::LookaheadAdapter::initialize(*model_, {.n_tokens = m}, seed));
        std::vector<float> row(static_cast<size_t>(c.dim));
        for (int64_t i = 0; i < m; ++i) {
            const auto& table = model_->weights().token_embd;
            engine::dequantize_row(table.type, table.row(tokens[n_p + i]), row.data(), c.dim);
            for (int64_t d = 0; d < c.dim; ++d) params.embeddings[i * c.dim + d] = row[d];
        }
        const auto dense = la::dequantize_layers(*model_);
        const auto kv = la::prompt_kv_of(prompt.cache());
        const auto pass = la::lookahead_forward(*model_, dense, params, kv, n_p);

        // Per layer, max |mine - engine| relative to the largest engine value of K and of V.
        double worst = 0.0;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int which = 0; which < 2; ++which) {
                double diff = 0.0, scale = 0.0;
                for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                    const auto& cached = which == 0 ? whole.cache().head(l, h).k : whole.cache().head(l, h).v;
                    const auto& mine = which == 0 ? pass.layers[l].k : pass.layers[l].v;
                    for (int64_t i = 0; i < m; ++i)
                        for (int64_t d = 0; d < c.head_dim; ++d) {
                            const double e = cached.floats()[(n_p + i) * c.head_dim + d];
                            diff = std::max(diff, std::fabs(mine[i * c.kv_dim() + h * c.head_dim + d] - e));
                            scale = std::max(scale, std::fabs(e));
                        }
                }
                worst = std::max(worst, diff / scale);
            }
        qInfo("worst per-layer relative difference to the engine %.3g (bound 1e-4)", worst);
        QVERIFY2(worst < 1e-4, qPrintable(QString("relative difference %1").arg(worst)));

        // Uniform targets: a finite, positive loss and a finite, non-zero gradient.
        std::vector<std::vector<double>> targets(static_cast<size_t>(c.n_layers),
                                                 std::vector<double>(static_cast<size_t>(c.n_kv_heads * n_p), 1.0 / double(n_p)));
        auto grads = params.zeros_like();
        const double loss = la::loss_and_gradients(*model_, dense, params, kv, n_p, targets, grads);
        QVERIFY(std::isfinite(loss) && loss > 0.0);
        const double norm = reference::dot(grads.embeddings, grads.embeddings);
        QVERIFY(std::isfinite(norm) && norm > 0.0);
    }
};

QTEST_GUILESS_MAIN(TestLookaheadDefaultModel)
#include "test_lookahead_default_model.moc"
