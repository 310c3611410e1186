// The forward pass against a naive double-precision reference on tiny random models of
// every supported architecture variant, and layer-major prefill against token-by-token.

#include "reference/reference_forward.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <random>

using engine::GgmlType;
using reference::TinySpec;

Q_DECLARE_METATYPE(TinySpec)

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int64_t vocab, size_t n) {
    std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(vocab - 1));
    std::vector<int32_t> t(n);
    for (auto& x : t) x = pick(rng);
    return t;
}

std::vector<float> logits_of(const engine::Session& s) { return {s.logits().begin(), s.logits().end()}; }

}  // namespace

class TestForward : public QObject {
    Q_OBJECT

private slots:
    void logits_match_double_reference_data() {
        QTest::addColumn<TinySpec>("spec");
        QTest::addColumn<double>("tolerance");
        TinySpec llama;
        QTest::newRow("llama untied output") << llama << 1e-4;
        TinySpec tied = llama;
        tied.tied_output = true;
        QTest::newRow("llama tied output") << tied << 1e-4;
        TinySpec scaled = llama;
        scaled.llama3_scaling = true;
        QTest::newRow("llama3 rope scaling (metadata)") << scaled << 1e-4;
        TinySpec freqs_tensor = llama;
        freqs_tensor.rope_freqs_tensor = true;
        QTest::newRow("llama3 rope scaling (rope_freqs.weight)") << freqs_tensor << 1e-4;
        TinySpec qwen2 = llama;
        qwen2.arch = "qwen2";
        qwen2.tied_output = true;
        QTest::newRow("qwen2 with QKV bias") << qwen2 << 1e-4;
        TinySpec qwen3 = llama;
        qwen3.arch = "qwen3";
        qwen3.head_dim = 32;   // qwen3 heads are wider than dim / n_heads
        QTest::newRow("qwen3 with QK-norm") << qwen3 << 1e-4;
        TinySpec f16 = llama;
        f16.matrix_type = GgmlType::F16;
        f16.embedding_type = GgmlType::BF16;
        QTest::newRow("llama F16 matrices, BF16 embeddings") << f16 << 1e-4;
        // Decode (and a chunk of one or two tokens) rounds activations to 16 bits before
        // Q4_0, Q4_1 and Q8_0 rows, a step of 1/65534 of each block's largest value: up to
        // about 2e-4 on these random models (observed), where float activations give 1e-6.
        constexpr double kSixteenBitTolerance = 1e-3;
        TinySpec q41 = llama;
        q41.matrix_type = GgmlType::Q4_1;
        q41.embedding_type = GgmlType::Q8_0;
        q41.tied_output = true;
        QTest::newRow("llama Q4_1 matrices, Q8_0 tied embeddings") << q41 << kSixteenBitTolerance;
        TinySpec q8 = llama;
        q8.arch = "qwen2";
        q8.matrix_type = GgmlType::Q8_0;
        QTest::newRow("qwen2 Q8_0") << q8 << kSixteenBitTolerance;
        TinySpec q40 = llama;
        q40.arch = "qwen3";
        q40.head_dim = 32;
        q40.matrix_type = GgmlType::Q4_0;
        q40.embedding_type = GgmlType::Q5_1;
        QTest::newRow("qwen3 Q4_0 matrices, Q5_1 embeddings") << q40 << kSixteenBitTolerance;
        // K-quant blocks hold 256 values, so these rows need 256-wide matrices.
        TinySpec k_quants = llama;
        k_quants.dim = 256;
        k_quants.ffn_dim = 512;
        k_quants.head_dim = 64;
        k_quants.matrix_type = GgmlType::Q4_K;
        k_quants.embedding_type = GgmlType::Q6_K;
        k_quants.tied_output = true;
        QTest::newRow("llama Q4_K matrices, Q6_K tied embeddings") << k_quants << 1e-4;
        k_quants.arch = "qwen2";
        k_quants.matrix_type = GgmlType::Q5_K;
        k_quants.embedding_type = GgmlType::Q3_K;
        QTest::newRow("qwen2 Q5_K matrices, Q3_K tied embeddings") << k_quants << 1e-4;
    }

    void logits_match_double_reference() {
        QFETCH(TinySpec, spec);
        QFETCH(double, tolerance);
        const uint64_t seed = fresh_seed(QTest::currentDataTag());
        std::mt19937_64 rng(seed);
        auto file = engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny");
        const auto tokens = random_tokens(rng, spec.vocab, 13);
        const auto expected = reference::reference_logits(file, spec, tokens);
        auto model = engine::Model::from_file(std::move(file));

        // Prefill the first 7 tokens in chunks of 3, then decode the rest one at a time.
        engine::Session session(model, {.threads = 2, .chunk = 3});
        const size_t n_prefill = 7;
        QVERIFY(session.prefill(std::span(tokens).first(n_prefill)));
        double worst = reference::relative_error(logits_of(session), expected[n_prefill - 1]);
        for (size_t t = n_prefill; t < tokens.size(); ++t) {
            session.decode(tokens[t]);
            worst = std::max(worst, reference::relative_error(logits_of(session), expected[t]));
        }
        qInfo("worst relative error %.3g (bound %.1g)", worst, tolerance);
        QVERIFY2(worst < tolerance, qPrintable(QString("relative error %1").arg(worst)));
        QCOMPARE(session.position(), static_cast<int64_t>(tokens.size()));
    }

    void layer_major_prefill_matches_token_by_token() {
        const uint64_t seed = fresh_seed("layer-major vs token-major");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.arch = "qwen3";
        spec.n_layers = 3;
        auto model = engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed)));
        const auto tokens = random_tokens(rng, spec.vocab, 40);

        engine::Session one_by_one(model, {.threads = 2});
        for (int32_t t : tokens) one_by_one.decode(t);
        for (int64_t chunk : {1, 7, 64}) {
            engine::Session layer_major(model, {.threads = 2, .chunk = chunk});
            QVERIFY(layer_major.prefill(tokens));
            const auto a = logits_of(layer_major), b = logits_of(one_by_one);
            QCOMPARE(a.size(), b.size());
            for (size_t i = 0; i < a.size(); ++i) QVERIFY(std::fabs(a[i] - b[i]) <= 1e-5f * (1.0f + std::fabs(b[i])));
            // Both caches hold every token of every layer, at the same positions.
            for (int64_t l = 0; l < spec.n_layers; ++l)
                for (int64_t h = 0; h < spec.n_kv_heads; ++h)
                    QCOMPARE(layer_major.cache().head(l, h).positions, one_by_one.cache().head(l, h).positions);
        }
    }

    void unsupported_architecture_is_named() {
        TinySpec spec;
        spec.arch = "falcon";
        auto file = engine::GgufFile::parse(reference::write_tiny_model(spec, 1));
        try {
            engine::Model::from_file(std::move(file));
            QFAIL("a falcon model was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("falcon"), e.what());
        }
    }

    void missing_tensor_is_named() {
        TinySpec spec;
        spec.omit_tensor = "blk.1.ffn_up.weight";
        try {
            engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, 2)));
            QFAIL("a model without blk.1.ffn_up.weight was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("blk.1.ffn_up.weight") && QString(e.what()).contains("missing"), e.what());
        }
    }

    void misshaped_tensor_names_expected_and_found_shape() {
        TinySpec spec;
        spec.misshape_tensor = "blk.0.attn_k.weight";
        try {
            engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, 3)));
            QFAIL("a mis-shaped attn_k was accepted");
        } catch (const engine::Error& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("blk.0.attn_k.weight") && m.contains("[64, 33]") && m.contains("[64, 32]"), e.what());
        }
    }

    void missing_bias_of_qwen2_is_named() {
        TinySpec spec;
        spec.arch = "qwen2";
        spec.omit_tensor = "blk.0.attn_v.bias";
        try {
            engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, 4)));
            QFAIL("a qwen2 model without blk.0.attn_v.bias was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("blk.0.attn_v.bias"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestForward)
#include "test_forward.moc"
