// The Session: cancelling leaves it as it was, the compressed cache round-trips through
// bytes and resumes exactly, the keep hook sees what eviction policies need, and
// generation streams, stops and cancels as documented.

#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <functional>
#include <optional>
#include <random>

using reference::TinySpec;

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

std::shared_ptr<const engine::Model> tiny_model(uint64_t seed, TinySpec spec = {}) {
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed)));
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, size_t n, int32_t vocab = 97) {
    std::uniform_int_distribution<int32_t> pick(4, vocab - 1);   // 0..3 reserved (eos is 3)
    std::vector<int32_t> t(n);
    for (auto& x : t) x = pick(rng);
    return t;
}

std::vector<float> logits_of(const engine::Session& s) { return {s.logits().begin(), s.logits().end()}; }

// Keeps every other token and remembers what it was shown.
class EveryOtherPolicy final : public engine::EvictionPolicy {
public:
    std::string name() const override { return "every-other"; }
    int64_t query_window() const override { return 4; }
    bool wants_key_attention() const override { return true; }
    std::vector<std::vector<int32_t>> keep(const engine::EvictionInput& in) override {
        calls.push_back(in.layer);
        n_window = in.n_window;
        first_position = in.positions.front();
        double total = 0.0;
        for (int64_t i = 0; i < in.n_heads * in.n_tokens; ++i) total += in.key_attention[i];
        attention_mass = total;
        window_first_value = in.window_queries[0];
        std::vector<int32_t> kept;
        for (int32_t t = 0; t < in.n_tokens; t += 2) kept.push_back(t);
        return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), kept);
    }
    std::vector<int64_t> calls;
    int64_t n_window = 0;
    int32_t first_position = -1;
    double attention_mass = 0.0;
    float window_first_value = 0.0f;
};

}  // namespace

class TestSession : public QObject {
    Q_OBJECT

private slots:
    void cancelled_prefill_leaves_session_as_it_was() {
        const uint64_t seed = fresh_seed("cancel");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto first = random_tokens(rng, 20), second = random_tokens(rng, 30);

        engine::Session session(model, {.threads = 2, .chunk = 4});
        QVERIFY(session.prefill(first));
        const auto bytes_before = session.cache().serialize();
        const auto logits_before = logits_of(session);

        // Cancel half-way through, from the progress callback.
        std::atomic<bool> cancel{false};
        int64_t last_done = 0;
        const bool finished = session.prefill(second, [&](const engine::PrefillProgress& p) {
            last_done = p.done;
            if (p.done * 2 >= p.total) cancel = true;
        }, &cancel).completed;
        QVERIFY(!finished);
        QVERIFY(last_done > 0);
        QCOMPARE(session.cache().serialize(), bytes_before);
        QCOMPARE(logits_of(session), logits_before);
        QCOMPARE(session.position(), int64_t{20});

        // Still usable: the same tokens now give what a fresh session gives.
        cancel = false;
        QVERIFY(session.prefill(second, {}, &cancel));
        engine::Session fresh(model, {.threads = 2, .chunk = 4});
        QVERIFY(fresh.prefill(first));
        QVERIFY(fresh.prefill(second));
        QCOMPARE(logits_of(session), logits_of(fresh));

        // Cancelled before it starts: nothing happens either.
        std::atomic<bool> already{true};
        QVERIFY(!session.append(first, &already));
        QCOMPARE(session.position(), int64_t{50});
    }

    void cache_round_trips_and_resumes_exactly() {
        const uint64_t seed = fresh_seed("snapshot");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto prompt = random_tokens(rng, 25), next_turn = random_tokens(rng, 6);

        engine::Session original(model, {.threads = 2, .chunk = 8});
        QVERIFY(original.prefill(prompt));
        const auto bytes = original.cache().serialize();
        const auto restored = engine::CompressedCache::deserialize(bytes, model->fingerprint());
        QVERIFY(restored == original.cache());

        engine::Session resumed(model, restored, {.threads = 2});
        QVERIFY(resumed.logits().empty());
        QVERIFY_THROWS_EXCEPTION(engine::Error, resumed.generate({}, {}, {}));
        QVERIFY(original.append(next_turn));
        QVERIFY(resumed.append(next_turn));
        QCOMPARE(logits_of(resumed), logits_of(original));
        QCOMPARE(resumed.position(), int64_t{31});
    }

    void damaged_or_foreign_snapshots_are_rejected() {
        const uint64_t seed = fresh_seed("bad snapshots");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        engine::Session s(model, {.threads = 1});
        const auto tokens = random_tokens(rng, 9);
        QVERIFY(s.prefill(tokens));
        const auto bytes = s.cache().serialize();

        // Each refusal carries a kind the app can act on: another model's snapshot means
        // "read the document again", a damaged one "this file is broken".
        auto kind_of = [](const std::function<void()>& f) -> std::optional<engine::ErrorKind> {
            try {
                f();
            } catch (const engine::Error& e) {
                return e.kind();
            }
            return std::nullopt;
        };
        auto other = tiny_model(seed + 1);
        QVERIFY(other->fingerprint() != model->fingerprint());
        QCOMPARE(kind_of([&] { engine::CompressedCache::deserialize(bytes, other->fingerprint()); }),
                 std::optional(engine::ErrorKind::WrongModel));
        for (size_t cut = 0; cut < bytes.size(); cut += 7)
            QCOMPARE(kind_of([&] { engine::CompressedCache::deserialize(std::span(bytes).first(cut), model->fingerprint()); }),
                     std::optional(engine::ErrorKind::BadFile));
        auto extra = bytes;
        extra.push_back(0);
        QCOMPARE(kind_of([&] { engine::CompressedCache::deserialize(extra, model->fingerprint()); }),
                 std::optional(engine::ErrorKind::BadFile));
        auto bad_version = bytes;
        bad_version[4] = 99;
        QCOMPARE(kind_of([&] { engine::CompressedCache::deserialize(bad_version, model->fingerprint()); }),
                 std::optional(engine::ErrorKind::BadFile));
        // A cache built for another model's shape cannot seed a session.
        TinySpec wide;
        wide.n_kv_heads = 4;
        auto wide_model = tiny_model(seed, wide);
        QCOMPARE(kind_of([&] { engine::Session(wide_model, s.cache()); }), std::optional(engine::ErrorKind::WrongModel));
    }

    void keep_policy_sees_layer_kv_and_chooses_what_decode_attends_to() {
        const uint64_t seed = fresh_seed("keep policy");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_layers = 3;
        auto model = tiny_model(seed, spec);
        const auto prompt = random_tokens(rng, 11);
        auto policy = std::make_shared<EveryOtherPolicy>();

        engine::Session s(model, {.threads = 2, .chunk = 3, .policy = policy});
        QVERIFY(s.prefill(prompt));
        QCOMPARE(policy->calls, (std::vector<int64_t>{0, 1, 2}));
        QCOMPARE(policy->n_window, int64_t{4});
        QCOMPARE(policy->first_position, 0);
        // Every query's attention sums to one, so the keys received n_heads * n_tokens in all.
        QVERIFY(std::fabs(policy->attention_mass - double(spec.n_heads * 11)) < 1e-3);
        for (int64_t l = 0; l < 3; ++l)
            for (int64_t h = 0; h < spec.n_kv_heads; ++h)
                QCOMPARE(s.cache().head(l, h).positions, (std::vector<int32_t>{0, 2, 4, 6, 8, 10}));

        // Decode continues at position 11 and attends to the kept tokens only, so its logits
        // differ from those of a session that kept everything.
        s.decode(prompt[0]);
        QCOMPARE(s.cache().head(1, 0).positions.back(), 11);
        QCOMPARE(s.cache().entries(), int64_t{3 * spec.n_kv_heads * 7});
        engine::Session full(model, {.threads = 2, .chunk = 3});
        QVERIFY(full.prefill(prompt));
        full.decode(prompt[0]);
        QVERIFY(logits_of(full) != logits_of(s));
        for (float v : s.logits()) QVERIFY(std::isfinite(v));
    }

    void decode_reports_attention_received_by_cached_tokens() {
        const uint64_t seed = fresh_seed("cached attention");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.n_heads = 4;
        spec.n_kv_heads = 2;
        auto model = tiny_model(seed, spec);
        engine::Session s(model, {.threads = 2});
        QVERIFY(s.prefill(random_tokens(rng, 12)));
        s.track_cached_attention(true);
        const int steps = 3;
        for (int i = 0; i < steps; ++i) s.decode(random_tokens(rng, 1)[0]);
        const auto& totals = s.cached_attention();
        QCOMPARE(totals.size(), size_t(spec.n_layers * spec.n_kv_heads));
        const int64_t group = spec.n_heads / spec.n_kv_heads;
        for (int64_t l = 0; l < spec.n_layers; ++l)
            for (int64_t h = 0; h < spec.n_kv_heads; ++h) {
                const auto& t = totals[static_cast<size_t>(l * spec.n_kv_heads + h)];
                // Step k attends to 12 + k cached entries (its own key is current, not cached).
                QCOMPARE(t.size(), size_t(12 + steps - 1));
                double sum = 0.0;
                for (float v : t) {
                    QVERIFY(v >= 0.0f);
                    sum += v;
                }
                // Each step's group heads give the cache all their weight but the self-weight.
                QVERIFY(sum > 0.0 && sum < double(group * steps));
            }
        s.track_cached_attention(false);
        QVERIFY(s.cached_attention().empty());
    }

    void a_policy_breaking_its_contract_is_an_error_and_changes_nothing() {
        struct Broken final : engine::EvictionPolicy {
            std::string name() const override { return "broken"; }
            std::vector<std::vector<int32_t>> keep(const engine::EvictionInput& in) override {
                if (in.layer == 0) return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), {0, 1});
                return std::vector<std::vector<int32_t>>(static_cast<size_t>(in.n_kv_heads), {1, 1});
            }
        };
        const uint64_t seed = fresh_seed("broken policy");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        engine::Session s(model, {.threads = 1, .policy = std::make_shared<Broken>()});
        try {
            s.prefill(random_tokens(rng, 5));
            QFAIL("a repeated index was accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("broken") && QString(e.what()).contains("layer 1"), e.what());
        }
        QCOMPARE(s.cache().entries(), int64_t{0});
        QCOMPARE(s.position(), int64_t{0});
    }

    void generate_streams_stops_and_cancels() {
        const uint64_t seed = fresh_seed("generate");
        std::mt19937_64 rng(seed);
        TinySpec spec;
        spec.eos_token = 1000;   // outside the vocabulary: no token ends a turn by chance here
        auto model = tiny_model(seed, spec);
        QVERIFY(model->end_tokens().empty());
        const auto prompt = random_tokens(rng, 8);
        auto text = [](int32_t t) {
            std::string s = "<";
            s += std::to_string(t);
            return s + ">";
        };

        engine::Session s(model, {.threads = 2});
        QVERIFY(s.prefill(prompt));
        std::string streamed;
        auto stats = s.generate({.max_new_tokens = 5}, text, [&](std::string_view p) { streamed += p; });
        QCOMPARE(stats.stop_reason, engine::StopReason::MaxTokens);
        QCOMPARE(stats.generated_tokens, int64_t{5});
        std::string expected;
        for (int32_t t : stats.tokens) expected += text(t);
        QCOMPARE(streamed, expected);
        QCOMPARE(s.position(), int64_t{13});   // the answer is in the cache for the next turn

        // Greedy is deterministic: the same prompt gives the same answer; the first answer
        // token as a stop token ends at once; a stop string hides its text.
        engine::Session again(model, {.threads = 2});
        QVERIFY(again.prefill(prompt));
        auto stopped = again.generate({.max_new_tokens = 5, .stop_tokens = {stats.tokens[0]}}, text, {});
        QCOMPARE(stopped.stop_reason, engine::StopReason::EndOfTurn);
        QCOMPARE(stopped.tokens, std::vector<int32_t>{stats.tokens[0]});

        // A stop string spanning the first two pieces: only the text before it is shown.
        engine::Session third(model, {.threads = 2});
        QVERIFY(third.prefill(prompt));
        streamed.clear();
        const std::string first_text = text(stats.tokens[0]);
        std::string stop = ">";
        stop += text(stats.tokens[1]);
        auto by_string = third.generate({.max_new_tokens = 5, .stop_strings = {stop}}, text,
                                        [&](std::string_view p) { streamed += p; });
        QCOMPARE(by_string.stop_reason, engine::StopReason::StopString);
        QCOMPARE(streamed, first_text.substr(0, first_text.size() - 1));

        // Cancel after the second piece; the session can still answer afterwards.
        std::atomic<bool> cancel{false};
        int pieces = 0;
        auto cancelled = s.generate({.temperature = 0.9f, .seed = 7, .max_new_tokens = 50}, text,
                                    [&](std::string_view) { if (++pieces == 2) cancel = true; }, &cancel);
        QCOMPARE(cancelled.stop_reason, engine::StopReason::Cancelled);
        QCOMPARE(cancelled.generated_tokens, int64_t{2});
        auto after = s.generate({.max_new_tokens = 3}, text, {});
        QCOMPARE(after.generated_tokens, int64_t{3});
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "test_session.moc"
