// Windowed reading past the context window, on tiny random models: kept keys moved to compact
// positions equal RoPE of the unrotated key at the new position (a double-precision
// reference); the window plan and its errors; a prompt read in windows where nothing is
// evicted gives the one-pass cache and logits; every policy reads a prompt several times
// its context window, staying within budget and context; cancel leaves the session as it was.

#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/eviction/policy_registry.h"
#include "engine/eviction/pyramidkv_policy.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/model/model.h"
#include "engine/session/kv_rows.h"
#include "engine/session/position_compaction.h"
#include "engine/session/session.h"
#include "engine/session/window_plan.h"

#include <QtTest/QtTest>

#include <cmath>
#include <map>
#include <random>
#include <set>

using reference::TinySpec;

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

std::shared_ptr<const engine::Model> tiny_model(uint64_t seed, TinySpec spec) {
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed), "tiny"));
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, int64_t n, int32_t vocab = 97) {
    std::uniform_int_distribution<int32_t> pick(4, vocab - 1);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = pick(rng);
    return t;
}

// RoPE in double of one head vector at `position`, pairs laid out as `neox` says.
std::vector<double> rope_double(const std::vector<double>& x, double position, const std::vector<double>& freqs, bool neox) {
    std::vector<double> out = x;
    const auto pairs = static_cast<int64_t>(freqs.size());
    for (int64_t i = 0; i < pairs; ++i) {
        const int64_t a = neox ? i : 2 * i, b = neox ? i + pairs : 2 * i + 1;
        const double angle = position * freqs[static_cast<size_t>(i)];
        out[a] = x[a] * std::cos(angle) - x[b] * std::sin(angle);
        out[b] = x[a] * std::sin(angle) + x[b] * std::cos(angle);
    }
    return out;
}

std::shared_ptr<engine::LookaheadAdapter> random_adapter(const engine::Model& model, uint64_t seed) {
    auto adapter = std::make_shared<engine::LookaheadAdapter>(
        engine::LookaheadAdapter::initialize(model, {.n_tokens = 4, .rank = 2, .alpha = 4.0f}, seed));
    std::mt19937_64 rng(seed + 1);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    for (auto& layer : adapter->lora)
        for (auto& m : layer)
            for (float& b : m.b) b = normal(rng);
    return adapter;
}

}  // namespace

class TestWindowedReading : public QObject {
    Q_OBJECT

private slots:
    void compaction_matches_rope_at_the_new_position_in_double_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<bool>("llama3_scaling");
        QTest::addColumn<QString>("kv_type");
        QTest::newRow("llama") << "llama" << false << "f32";
        QTest::newRow("llama3 scaling") << "llama" << true << "f32";
        QTest::newRow("qwen2 (neox)") << "qwen2" << false << "f32";
        // A lower-precision cache is decoded, re-rotated and encoded again.
        QTest::newRow("llama, f16 cache") << "llama" << false << "f16";
        QTest::newRow("qwen2, q8_0 cache") << "qwen2" << false << "q8_0";
    }
    void compaction_matches_rope_at_the_new_position_in_double() {
        QFETCH(QString, arch);
        QFETCH(bool, llama3_scaling);
        QFETCH(QString, kv_type);
        const engine::GgmlType type = engine::parse_kv_type(kv_type.toStdString());
        const uint64_t seed = fresh_seed("compaction");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.arch = arch.toStdString();
        spec.llama3_scaling = llama3_scaling;
        if (type == engine::GgmlType::Q8_0) {   // whole blocks of 32 per head
            spec.n_heads = 2;
            spec.head_dim = 32;
        }
        const auto model = tiny_model(seed, spec);
        const auto& c = model->config();
        // The model's own frequencies, in double: the reference re-rotates the raw key.
        std::vector<double> freqs(model->rope_freqs().begin(), model->rope_freqs().end());

        const int64_t n_tokens = 30000;
        engine::CompressedCache cache(c.n_layers, c.n_kv_heads, c.head_dim, model->fingerprint(), type);
        cache.add_tokens(std::vector<int32_t>(static_cast<size_t>(n_tokens), 5));
        std::normal_distribution<double> normal(0.0, 1.0);
        std::uniform_int_distribution<int32_t> position(0, static_cast<int32_t>(n_tokens - 1));
        std::map<std::pair<int64_t, int64_t>, std::vector<std::vector<double>>> raw;   // unrotated keys
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                std::set<int32_t> chosen;   // every head keeps its own tokens, and its own count
                const int64_t count = 20 + 7 * (l * c.n_kv_heads + h);
                while (static_cast<int64_t>(chosen.size()) < count) chosen.insert(position(rng));
                engine::KvHeadCache& hc = cache.head(l, h);
                for (int32_t p : chosen) {
                    std::vector<double> x(static_cast<size_t>(c.head_dim));
                    for (double& v : x) v = normal(rng);
                    raw[{l, h}].push_back(x);
                    const auto rotated = rope_double(x, p, freqs, spec.neox());
                    std::vector<float> key(rotated.begin(), rotated.end()), value(static_cast<size_t>(c.head_dim));
                    for (float& v : value) v = static_cast<float>(normal(rng));
                    hc.push_back(p, key.data(), value.data());
                }
            }
        const engine::CompressedCache before = cache;

        engine::compact_positions(cache, model->rope_freqs(), c.rope_style);

        int64_t longest = 0;
        double worst = 0;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const engine::KvHeadCache& hc = cache.head(l, h);
                QCOMPARE(hc.v, before.head(l, h).v);   // values carry no position
                longest = std::max(longest, hc.size());
                std::vector<float> key(static_cast<size_t>(c.head_dim));
                for (int64_t e = 0; e < hc.size(); ++e) {
                    QCOMPARE(hc.positions[static_cast<size_t>(e)], static_cast<int32_t>(e));   // order kept, compact
                    const auto expected = rope_double(raw[{l, h}][static_cast<size_t>(e)], static_cast<double>(e), freqs,
                                                      spec.neox());
                    hc.k.decode(e, 1, key.data());
                    for (int64_t i = 0; i < c.head_dim; ++i)
                        worst = std::max(worst, std::abs(key[static_cast<size_t>(i)] - expected[static_cast<size_t>(i)]));
                }
            }
        qInfo("largest error against the double reference: %.3g", worst);
        // Two float roundings of O(1) values; a typed cache rounds each key twice more (before
        // and after the rotation): f16 to 11 bits (|x| < 6: under 3e-3 each), q8_0 to half a
        // 127th of its block's largest value (under 0.025 each).
        const double tolerance = type == engine::GgmlType::F32 ? 2e-5 : type == engine::GgmlType::F16 ? 1e-2 : 0.1;
        QVERIFY2(worst < tolerance, qPrintable(QString::number(worst)));
        QCOMPARE(cache.tokens(), before.tokens());
        QCOMPARE(cache.next_rotary_position(), longest);
        QCOMPARE(cache.position_shift(), n_tokens - longest);

        // The shift survives a snapshot; a cache never compacted still writes version 1.
        const auto bytes = cache.serialize();
        QCOMPARE(engine::CompressedCache::deserialize(bytes, model->fingerprint()), cache);
        QCOMPARE(before.serialize()[4], static_cast<uint8_t>(type == engine::GgmlType::F32 ? 1 : 3));
        QCOMPARE(bytes[4], static_cast<uint8_t>(type == engine::GgmlType::F32 ? 2 : 3));
    }

    void the_window_plan_reads_what_fits_in_one_pass() {
        const auto one = engine::plan_windows({.position = 0, .tokens = 7000, .context = 8192, .answer_room = 256, .budget = 512});
        QCOMPARE(one.windows, int64_t{1});
        QCOMPARE(one.window, int64_t{7000});
        // A long prompt: the largest window that leaves room for twice the budget and the answer.
        const auto many = engine::plan_windows({.position = 0, .tokens = 29000, .context = 8192, .answer_room = 256, .budget = 512});
        QCOMPARE(many.window, int64_t{8192 - 256 - 1024});
        QCOMPARE(many.windows, int64_t{5});
        // Asked for: windows even when it fits.
        const auto asked = engine::plan_windows({.position = 0, .tokens = 5000, .context = 8192, .answer_room = 256, .window = 2048, .budget = 512});
        QCOMPARE(asked.windows, int64_t{3});
    }

    void a_window_that_does_not_fit_names_the_numbers() {
        try {
            engine::plan_windows({.position = 0, .tokens = 9000, .context = 4096, .answer_room = 256, .window = 3600, .budget = 512});
            QFAIL("expected an error");
        } catch (const engine::Error& e) {
            QCOMPARE(e.kind(), engine::ErrorKind::Invalid);
            const QString msg = e.what();
            QVERIFY2(msg.contains("budget 512 + window 3600 + answer 256 = 4368 tokens, more than the model's context window of 4096"),
                     qPrintable(msg));
        }
        try {
            engine::plan_windows({.position = 0, .tokens = 9000, .context = 8192, .answer_room = 256, .budget = 0});
            QFAIL("expected an error");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("the prompt is 9000 tokens long and the model's context window holds 8192"), e.what());
        }
        try {
            engine::plan_windows({.position = 0, .tokens = 9000, .context = 2048, .answer_room = 256, .budget = 900});
            QFAIL("expected an error");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("lower --budget or --max-tokens"), e.what());
        }
    }

    // Windows where nothing is evicted (the budget holds the prompt) read what one pass reads.
    void windows_that_evict_nothing_give_the_one_pass_result() {
        const uint64_t seed = fresh_seed("windows without eviction");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 3;
        const auto model = tiny_model(seed, spec);
        const auto tokens = random_tokens(rng, 300);
        engine::Session one(model, {.threads = 2, .policy = engine::make_policy("snapkv", {.budget = 400})});
        const auto read_once = one.prefill(tokens);
        QCOMPARE(read_once.windows, int64_t{1});
        engine::Session windowed(model, {.threads = 2, .policy = engine::make_policy("snapkv", {.budget = 400}), .window = 64});
        const auto read = windowed.prefill(tokens);
        QVERIFY(read.completed);
        QCOMPARE(read.windows, int64_t{5});
        double worst = 0;
        for (int64_t l = 0; l < model->config().n_layers; ++l)
            for (int64_t h = 0; h < model->config().n_kv_heads; ++h) {
                const auto& a = one.cache().head(l, h);
                const auto& b = windowed.cache().head(l, h);
                QCOMPARE(b.positions, a.positions);
                for (int64_t i = 0; i < a.size() * model->config().head_dim; ++i)
                    worst = std::max(worst, double(std::abs(a.k.floats()[i] - b.k.floats()[i])));
            }
        for (size_t i = 0; i < one.logits().size(); ++i)
            worst = std::max(worst, double(std::abs(one.logits()[i] - windowed.logits()[i])));
        qInfo("largest difference: %.3g", worst);
        QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));   // the same sums, split past/current differently
    }

    // StreamingLLM keeps the first tokens and the last ones, so windows that evict jointly
    // (cached entries with the new) must end with the positions one pass keeps.
    void windows_keep_what_one_pass_keeps_for_streaming() {
        const uint64_t seed = fresh_seed("streaming in windows");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 2;
        const auto model = tiny_model(seed, spec);
        const auto tokens = random_tokens(rng, 333);
        engine::PolicyOptions options{.budget = 40};
        engine::Session one(model, {.threads = 2, .policy = engine::make_policy("streaming", options)});
        QVERIFY(one.prefill(tokens).completed);
        engine::Session windowed(model, {.threads = 2, .policy = engine::make_policy("streaming", options), .window = 50});
        QCOMPARE(windowed.prefill(tokens).windows, int64_t{7});
        for (int64_t l = 0; l < model->config().n_layers; ++l)
            for (int64_t h = 0; h < model->config().n_kv_heads; ++h)
                QCOMPARE(windowed.cache().head(l, h).positions, one.cache().head(l, h).positions);
        QCOMPARE(windowed.cache().position_shift(), int64_t{0});   // within the context: never compacted
    }

    void every_policy_reads_past_the_context_in_windows_data() {
        QTest::addColumn<QString>("policy");
        QTest::addColumn<bool>("probe");
        for (const char* name : {"streaming", "snapkv", "pyramidkv", "h2o", "laq", "speckv", "lookahead"}) {
            QTest::newRow(name) << name << false;
            QTest::newRow((std::string(name) + ", question after each window").c_str()) << name << true;
        }
    }
    void every_policy_reads_past_the_context_in_windows() {
        QFETCH(QString, policy);
        QFETCH(bool, probe);
        const uint64_t seed = fresh_seed("every policy");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 3;
        spec.eos_token = 1000;   // outside the vocabulary: drafts run their full length
        const auto model = tiny_model(seed, spec);
        engine::PolicyOptions options{.budget = 24, .window = 8};
        options.draft_tokens = 4;
        if (policy == "lookahead") options.adapter = random_adapter(*model, seed);
        if (policy == "speckv") options.draft_model = model;   // drafts for itself
        const int64_t context = 128, answer = 16, window = 48;
        const auto tokens = random_tokens(rng, 460);   // 3.6 context windows
        engine::Session session(model, {.threads = 2, .policy = engine::make_policy(policy.toStdString(), options),
                                        .context = context, .answer_room = answer, .window = window,
                                        .window_probe = probe ? random_tokens(rng, 7) : std::vector<int32_t>{}});
        const auto read = session.prefill(tokens);
        QVERIFY(read.completed);
        QCOMPARE(read.windows, int64_t{10});
        const auto& cache = session.cache();
        QCOMPARE(cache.next_position(), int64_t{460});
        QVERIFY(cache.tokens() == tokens);
        QVERIFY(cache.position_shift() > 0);   // compacted at least once
        QVERIFY(cache.next_rotary_position() + answer <= context);
        const auto pyramid = engine::pyramid_budgets(options.budget, options.window, model->config().n_layers, options.pyramid_beta);
        bool saw_late_token = false;
        for (int64_t l = 0; l < model->config().n_layers; ++l)
            for (int64_t h = 0; h < model->config().n_kv_heads; ++h) {
                const auto& hc = cache.head(l, h);
                QVERIFY2(hc.size() <= 2 * options.budget, qPrintable(QString::number(hc.size())));   // back to the budget
                // The whole budget holds the document, the question after each window none of it
                // (PyramidKV's budget differs by layer).
                QCOMPARE(hc.size(), policy == "pyramidkv" ? pyramid[static_cast<size_t>(l)] : options.budget);
                QVERIFY(hc.size() > 0);
                for (size_t i = 0; i < hc.positions.size(); ++i) {
                    QVERIFY(hc.positions[i] < cache.next_rotary_position());
                    if (i > 0) QVERIFY(hc.positions[i] > hc.positions[i - 1]);
                }
                // The last window was read after the last compaction: its tokens sit past the compact block.
                saw_late_token = saw_late_token || hc.positions.back() >= cache.next_rotary_position() - window;
            }
        QVERIFY(saw_late_token);
        // And the session answers from there, within the context.
        for (int i = 0; i < answer; ++i) session.decode(5);
        QVERIFY(session.cache().next_rotary_position() <= context);
        for (float x : session.logits()) QVERIFY(std::isfinite(x));
    }

    // A probe (the question) is read after every window but the last and then dropped: its
    // queries choose, but its entries take none of the budget. With SnapKV's observation
    // window as long as the probe, the first window keeps what one pass over it and the
    // probe keeps at a budget larger by the probe (the window itself kept), the probe then
    // dropped; the later window only evicts from that, and neither the probe's tokens nor its
    // entries stay.
    void a_probe_chooses_with_each_window_and_is_dropped() {
        const uint64_t seed = fresh_seed("probe");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 2;
        const auto model = tiny_model(seed, spec);
        const auto& c = model->config();
        const auto tokens = random_tokens(rng, 46), probe = random_tokens(rng, 9);
        const engine::PolicyOptions policy{.budget = 16, .window = 9};
        engine::Session windowed(model, {.threads = 2, .policy = engine::make_policy("snapkv", policy), .window = 40,
                                         .window_probe = probe});
        const auto read = windowed.prefill(tokens);
        QVERIFY(read.completed);
        QCOMPARE(read.windows, int64_t{2});
        const engine::CompressedCache& cache = windowed.cache();
        QVERIFY(cache.tokens() == tokens);
        QCOMPARE(cache.next_position(), int64_t{46});

        // The first window as one pass with the probe after it at budget 16 + 9, the probe
        // (SnapKV's kept window there) then dropped: 16 entries of the window per head.
        std::vector<int32_t> first(tokens.begin(), tokens.begin() + 40);
        first.insert(first.end(), probe.begin(), probe.end());
        engine::PolicyOptions wider = policy;
        wider.budget += static_cast<int64_t>(probe.size());
        engine::Session one(model, {.threads = 2, .policy = engine::make_policy("snapkv", wider)});
        QVERIFY(one.prefill(first).completed);
        engine::CompressedCache chosen = one.cache();
        chosen.drop_from(40);
        QCOMPARE(chosen.next_position(), int64_t{40});
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const auto& kept = chosen.head(l, h);
                QCOMPARE(kept.size(), policy.budget);
                QVERIFY(kept.positions.back() < 40);
                QCOMPARE(kept.k.size(), kept.size());
                // The whole budget holds the document: 16 of the 22 entries the later window saw.
                const auto& last = cache.head(l, h);
                QCOMPARE(last.size(), policy.budget);
                for (int64_t i = 0; i < last.size(); ++i) {
                    const int32_t pos = last.positions[static_cast<size_t>(i)];
                    if (pos >= 40) continue;
                    const auto at = std::find(kept.positions.begin(), kept.positions.end(), pos);
                    QVERIFY2(at != kept.positions.end(), qPrintable(QString("layer %1 head %2 keeps %3").arg(l).arg(h).arg(pos)));
                    const int64_t j = at - kept.positions.begin();
                    QVERIFY(std::equal(last.k.floats() + i * c.head_dim, last.k.floats() + (i + 1) * c.head_dim,
                                       kept.k.floats() + j * c.head_dim));
                }
            }

        // Without the probe the first window chooses otherwise.
        engine::Session plain(model, {.threads = 2, .policy = engine::make_policy("snapkv", policy), .window = 40});
        QVERIFY(plain.prefill(tokens).completed);
        bool differs = false;
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) differs = differs || plain.cache().head(l, h).positions != cache.head(l, h).positions;
        QVERIFY(differs);

        QVERIFY_THROWS_EXCEPTION(engine::Error, chosen.drop_from(41));
        // The plan leaves room for the probe, and says so when there is none.
        const auto planned = engine::plan_windows({.position = 0, .tokens = 29000, .context = 8192, .answer_room = 256,
                                                   .budget = 512, .probe = 40});
        QCOMPARE(planned.window, int64_t{8192 - 256 - 1024 - 40});
        try {
            engine::plan_windows({.position = 0, .tokens = 9000, .context = 4096, .answer_room = 256, .window = 3300,
                                  .budget = 512, .probe = 40});
            QFAIL("expected an error");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("budget 512 + window 3300 + question 40 + answer 256 = 4108 tokens"), e.what());
        }
    }

    void a_cancelled_windowed_read_leaves_the_session_as_it_was() {
        const uint64_t seed = fresh_seed("cancel");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 2;
        const auto model = tiny_model(seed, spec);
        engine::Session session(model, {.threads = 2, .policy = engine::make_policy("snapkv", {.budget = 16, .window = 4}),
                                        .context = 96, .answer_room = 8, .window = 40});
        QVERIFY(session.prefill(random_tokens(rng, 200)).completed);
        const engine::CompressedCache before = session.cache();
        const std::vector<float> logits(session.logits().begin(), session.logits().end());
        std::atomic<bool> cancel{false};
        // Cancel once the third window has begun: two windows (and a compaction) are done by then.
        const auto read = session.prefill(random_tokens(rng, 200),
                                          [&](const engine::PrefillProgress& p) {
                                              if (p.done > 2 * 40 * 2) cancel = true;
                                          },
                                          &cancel);
        QVERIFY(!read.completed);
        QVERIFY(session.cache() == before);
        QVERIFY(std::equal(logits.begin(), logits.end(), session.logits().begin(), session.logits().end()));
    }

    void a_cache_that_cannot_shrink_enough_says_so() {
        const uint64_t seed = fresh_seed("too small");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 2;
        const auto model = tiny_model(seed, spec);
        // Budget, window and answer that pass the context together are refused before reading.
        engine::Session session(model, {.threads = 2, .policy = engine::make_policy("snapkv", {.budget = 40, .window = 4}),
                                        .context = 96, .answer_room = 16, .window = 60});
        try {
            session.prefill(random_tokens(rng, 300));
            QFAIL("expected an error");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("budget 40 + window 60 + answer 16 = 116 tokens"), e.what());
        }
        QCOMPARE(session.position(), int64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestWindowedReading)
#include "test_windowed_reading.moc"
