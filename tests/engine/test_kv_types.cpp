// KV caches kept at f16 and q8_0: rows encode and decode to what the format defines; a
// session's cache of each type resumes exactly from its snapshot; the rounded keys are the
// ones attended to and kept; answers stay close to an f32 cache's.

#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/policy_registry.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"
#include "engine/session/kv_rows.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>

using reference::TinySpec;

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

// Heads of 32 values, so every type (q8_0: blocks of 32) can keep them.
std::shared_ptr<const engine::Model> tiny_model(uint64_t seed) {
    TinySpec spec;
    spec.n_layers = 3;
    spec.n_heads = 2;
    spec.n_kv_heads = 1;
    spec.head_dim = 32;
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int64_t n) {
    std::uniform_int_distribution<int32_t> pick(4, 96);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = pick(rng);
    return t;
}

std::vector<float> logits_of(const engine::Session& s) { return {s.logits().begin(), s.logits().end()}; }

double largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
    return worst;
}

}  // namespace

class TestKvTypes : public QObject {
    Q_OBJECT

private slots:
    void rows_hold_what_each_format_defines() {
        std::mt19937_64 rng(fresh_seed("kv rows"));
        std::normal_distribution<float> normal(0.0f, 2.0f);
        const int64_t width = 64, n = 40;
        std::vector<float> values(static_cast<size_t>(width * n));
        for (float& v : values) v = normal(rng);

        for (engine::GgmlType type : engine::kKvTypes) {
            engine::KvRows rows(type, width);
            for (int64_t r = 0; r < n; ++r) rows.push_back(values.data() + r * width);
            QCOMPARE(rows.size(), n);
            QCOMPARE(rows.row_bytes(), type == engine::GgmlType::F32 ? 256 : type == engine::GgmlType::F16 ? 128 : 68);
            std::vector<float> decoded(values.size());
            rows.decode(0, n, decoded.data());
            for (int64_t r = 0; r < n; ++r)
                for (int64_t b = 0; b < width; b += 32) {
                    float amax = 0;
                    for (int64_t i = b; i < b + 32; ++i) amax = std::max(amax, std::fabs(values[r * width + i]));
                    for (int64_t i = b; i < b + 32; ++i) {
                        const float x = values[r * width + i], y = decoded[r * width + i];
                        if (type == engine::GgmlType::F32) QCOMPARE(y, x);
                        if (type == engine::GgmlType::F16) QCOMPARE(y, engine::fp16_to_fp32(engine::fp32_to_fp16(x)));
                        // Q8_0: the nearest of 255 levels d = amax / 127 apart, within d / 2, plus
                        // up to 127 times the scale's own rounding to f16 (2^-11 of d).
                        const float d = amax / 127.0f;
                        if (type == engine::GgmlType::Q8_0) QVERIFY(std::fabs(y - x) <= d * (0.5f + 127.0f / 2048.0f) + 1e-6f);
                    }
                }
            // Rounding in place gives exactly the decoded rows: what attention sees is what is kept.
            std::vector<float> rounded = values;
            engine::round_to_kv_type(type, rounded.data(), n, width);
            QCOMPARE(rounded, decoded);
            // Re-encoding a row replaces it alone.
            rows.set(3, values.data());
            std::vector<float> row(static_cast<size_t>(width));
            rows.decode(3, 1, row.data());
            QVERIFY(std::equal(row.begin(), row.end(), decoded.begin()));
            QCOMPARE(engine::parse_kv_type(engine::kv_type_name(type)), type);
            // Encoded bytes copy back exactly; a torn row is refused.
            engine::KvRows copy(type, width);
            copy.append_bytes(rows.bytes());
            QVERIFY(copy == rows);
            QVERIFY_THROWS_EXCEPTION(engine::Error, copy.append_bytes(rows.bytes().subspan(1)));
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::parse_kv_type("q4_0"));
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::KvRows(engine::GgmlType::Q8_0, 80));   // 80 is not whole blocks
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::KvRows(engine::GgmlType::Q4_0, 64));
    }

    // Converting a cache re-encodes every row: narrower types round as they do when a
    // session keeps them, f32 again gives those rounded values back, and nothing else moves.
    void a_cache_converts_between_types() {
        const uint64_t seed = fresh_seed("cache conversion");
        std::mt19937_64 rng(seed);
        const auto model = tiny_model(seed);
        const auto& c = model->config();
        engine::Session exact(model, {.threads = 2, .chunk = 16});
        QVERIFY(exact.prefill(random_tokens(rng, 45)));
        engine::CompressedCache f32 = exact.cache();
        f32.set_position_shift(7);
        QVERIFY(f32.with_kv_type(engine::GgmlType::F32) == f32);
        for (const engine::GgmlType type : {engine::GgmlType::F16, engine::GgmlType::Q8_0}) {
            const engine::CompressedCache narrow = f32.with_kv_type(type);
            const engine::CompressedCache back = narrow.with_kv_type(engine::GgmlType::F32);
            QCOMPARE(narrow.kv_type(), type);
            QCOMPARE(back.kv_type(), engine::GgmlType::F32);
            QCOMPARE(narrow.tokens(), f32.tokens());
            QCOMPARE(back.position_shift(), int64_t{7});
            QCOMPARE(narrow.kv_bytes(), f32.entries() * 2 * engine::kv_row_bytes(type, c.head_dim));
            for (int64_t l = 0; l < c.n_layers; ++l)
                for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                    const auto& from = f32.head(l, h);
                    QCOMPARE(back.head(l, h).positions, from.positions);
                    for (const bool keys : {true, false}) {
                        const engine::KvRows& rows = keys ? from.k : from.v;
                        std::vector<float> rounded(rows.floats(), rows.floats() + from.size() * c.head_dim);
                        engine::round_to_kv_type(type, rounded.data(), from.size(), c.head_dim);
                        const engine::KvRows& got = keys ? back.head(l, h).k : back.head(l, h).v;
                        QVERIFY(std::equal(rounded.begin(), rounded.end(), got.floats()));
                        QVERIFY(rounded != std::vector<float>(rows.floats(), rows.floats() + rounded.size()));
                    }
                }
            QVERIFY(narrow.with_kv_type(type) == narrow);
        }
    }

    void a_typed_cache_keeps_the_rounded_keys_and_resumes_exactly_data() {
        QTest::addColumn<QString>("kv_type");
        QTest::newRow("f16") << "f16";
        QTest::newRow("q8_0") << "q8_0";
    }
    void a_typed_cache_keeps_the_rounded_keys_and_resumes_exactly() {
        QFETCH(QString, kv_type);
        const engine::GgmlType type = engine::parse_kv_type(kv_type.toStdString());
        const uint64_t seed = fresh_seed("typed cache");
        std::mt19937_64 rng(seed);
        const auto model = tiny_model(seed);
        const auto& c = model->config();
        const auto prompt = random_tokens(rng, 70), next_turn = random_tokens(rng, 5);

        engine::Session exact(model, {.threads = 2, .chunk = 16});
        engine::Session typed(model, {.threads = 2, .chunk = 16, .kv_type = type});
        QVERIFY(exact.prefill(prompt));
        QVERIFY(typed.prefill(prompt));
        QCOMPARE(typed.cache().kv_type(), type);

        // Layer 0 sees the same inputs either way: its kept keys are the f32 keys, rounded.
        const auto& full_head = exact.cache().head(0, 0);
        std::vector<float> rounded(full_head.k.floats(), full_head.k.floats() + full_head.size() * c.head_dim);
        engine::round_to_kv_type(type, rounded.data(), full_head.size(), c.head_dim);
        std::vector<float> kept(rounded.size());
        typed.cache().head(0, 0).k.decode(0, typed.cache().head(0, 0).size(), kept.data());
        QCOMPARE(kept, rounded);

        // Memory: the type's bytes per row, for every kept entry.
        const int64_t row = engine::kv_row_bytes(type, c.head_dim);
        QCOMPARE(typed.cache().kv_bytes(), typed.cache().entries() * 2 * row);
        QCOMPARE(engine::kv_footprint(typed.cache()).full_bytes, int64_t{70} * c.n_layers * c.n_kv_heads * 2 * row);
        QVERIFY(engine::kv_footprint(typed.cache()).summary().ends_with(kv_type.toStdString()));

        // Close to the f32 cache's logits (random tiny weights give logits of a few units).
        const double drift = largest_difference(logits_of(typed), logits_of(exact));
        qInfo("%s: largest logit difference from f32 after the prompt: %.3g", qPrintable(kv_type), drift);
        QVERIFY(drift < (type == engine::GgmlType::F16 ? 0.02 : 0.2));
        QVERIFY(drift > 0.0);   // it did round

        // The snapshot keeps the type; a resumed session continues exactly and in that type.
        const auto bytes = typed.cache().serialize();
        QCOMPARE(bytes[4], uint8_t{3});
        const auto restored = engine::CompressedCache::deserialize(bytes, model->fingerprint());
        QVERIFY(restored == typed.cache());
        engine::Session resumed(model, nullptr, restored, {.threads = 2});
        QCOMPARE(resumed.options().kv_type, type);
        QVERIFY(typed.append(next_turn));
        QVERIFY(resumed.append(next_turn));
        QCOMPARE(logits_of(resumed), logits_of(typed));
        typed.decode(next_turn[0]);
        resumed.decode(next_turn[0]);
        QCOMPARE(logits_of(resumed), logits_of(typed));

        // A damaged element type is refused, not guessed.
        auto damaged = bytes;
        damaged[4 + 4 + 8 + 12] = 2;   // after magic, version, fingerprint and shape: Q4_0
        QVERIFY_THROWS_EXCEPTION(engine::Error, engine::CompressedCache::deserialize(damaged, model->fingerprint()));
    }

    void every_policy_reads_and_answers_at_every_type() {
        const uint64_t seed = fresh_seed("typed policies");
        std::mt19937_64 rng(seed);
        const auto model = tiny_model(seed);
        const auto prompt = random_tokens(rng, 150);
        for (const char* policy : {"snapkv", "pyramidkv", "h2o", "streamingllm"})
            for (engine::GgmlType type : engine::kKvTypes) {
                // Windows of 48 with a budget of 40: every window evicts cached entries jointly
                // and the keys move to compact positions, re-encoded at the cache's type.
                engine::Session s(model, {.threads = 2,
                                          .chunk = 16,
                                          .kv_type = type,
                                          .policy = engine::make_policy(policy, {.budget = 40}),
                                          .context = 128,
                                          .answer_room = 8,
                                          .window = 48});
                const auto read = s.prefill(prompt);
                QVERIFY(read.completed);
                QVERIFY(read.windows > 1);
                QCOMPARE(s.cache().kv_type(), type);
                for (int64_t l = 0; l < s.cache().n_layers(); ++l) QVERIFY(s.cache().head(l, 0).size() <= 40 + 48);
                for (int i = 0; i < 3; ++i) s.decode(prompt[static_cast<size_t>(i)]);
                for (float x : s.logits()) QVERIFY(std::isfinite(x));
            }
    }
};

QTEST_GUILESS_MAIN(TestKvTypes)
#include "test_kv_types.moc"
