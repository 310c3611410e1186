// Eviction policies inside a Session on tiny random models: with a budget of at least the
// prompt every policy reproduces the full cache and its logits bit for bit; LAQ (and LAQ++)
// and SpecKV draft what greedy generation gives, as many tokens as asked or their papers'
// defaults, and keep what a naive reference of their scoring keeps; SpecKV drafting with the
// target itself is labelled an oracle.

#include "reference/eviction_reference.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/draft_policy.h"
#include "engine/eviction/policy_registry.h"
#include "engine/eviction/token_selection.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/session/session.h"

#include <QtTest/QtTest>

#include <random>
#include <thread>

using reference::TinySpec;

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

TinySpec four_layers() {
    TinySpec spec;
    spec.n_layers = 4;
    spec.eos_token = 1000;   // outside the vocabulary: drafts run their full length
    return spec;
}

std::shared_ptr<const engine::Model> tiny_model(uint64_t seed, TinySpec spec = four_layers()) {
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec, seed)));
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, size_t n, int32_t vocab = 97) {
    std::uniform_int_distribution<int32_t> pick(4, vocab - 1);
    std::vector<int32_t> t(n);
    for (auto& x : t) x = pick(rng);
    return t;
}

std::vector<float> logits_of(const engine::Session& s) { return {s.logits().begin(), s.logits().end()}; }

// Every layer's post-RoPE queries of `tokens` read after `cache` (which is left as it was).
std::vector<std::vector<float>> queries_of(const engine::Model& model, engine::CompressedCache cache,
                                           const std::vector<int32_t>& tokens) {
    auto backend = engine::make_cpu_backend(2);
    engine::ForwardScratch scratch;
    std::vector<float> logits;
    std::vector<std::vector<float>> queries;
    engine::ForwardRequest req;
    req.tokens = tokens;
    req.queries = &queries;
    engine::forward_tokens(model, *backend, scratch, cache, req, logits);
    return queries;
}

// What LAQ/SpecKV should keep: the reference SnapKV selection with the draft's queries and
// the last `window` prompt queries, reduced over them by `reduce`, computed from a full
// prefill's keys and independently captured queries.
std::vector<std::vector<std::vector<int32_t>>> reference_lookahead(const std::shared_ptr<const engine::Model>& shared,
                                                                   const std::vector<int32_t>& prompt,
                                                                   const std::vector<int32_t>& draft, int64_t budget, int64_t window,
                                                                   reference::Reduce reduce) {
    const engine::Model& model = *shared;
    const auto& c = model.config();
    engine::Session full(shared, {.threads = 2});
    if (!full.prefill(prompt)) qFatal("prefill cancelled");
    const auto prompt_q = queries_of(model, engine::CompressedCache(c.n_layers, c.n_kv_heads, c.head_dim, model.fingerprint()), prompt);
    const auto draft_q = queries_of(model, full.cache(), draft);
    const int64_t n = static_cast<int64_t>(prompt.size()), w = std::min(window, n), m = static_cast<int64_t>(draft.size());
    std::vector<std::vector<std::vector<int32_t>>> out;
    for (int64_t l = 0; l < c.n_layers; ++l) {
        reference::LayerData L{n, c.n_heads, c.n_kv_heads, c.head_dim, {}, {}, w, {}, m};
        L.k.resize(static_cast<size_t>(n * c.kv_dim()));
        for (int64_t h = 0; h < c.n_kv_heads; ++h)
            for (int64_t t = 0; t < n; ++t)
                for (int64_t x = 0; x < c.head_dim; ++x)
                    L.k[static_cast<size_t>((t * c.n_kv_heads + h) * c.head_dim + x)] = full.cache().head(l, h).k.floats()[t * c.head_dim + x];
        const auto& pq = prompt_q[static_cast<size_t>(l)];
        L.window_q.assign(pq.end() - w * c.q_dim(), pq.end());
        L.lookahead_q.assign(draft_q[static_cast<size_t>(l)].begin(), draft_q[static_cast<size_t>(l)].end());
        out.push_back(reference::snapkv_keep(L, budget, window, 7, reduce));
    }
    return out;
}

// The session's kept prompt entries per head are exactly `expected`, with the full cache's K and V.
void check_kept(const engine::Session& s, const engine::Session& full, const std::vector<std::vector<std::vector<int32_t>>>& expected) {
    const auto& c = s.model().config();
    for (int64_t l = 0; l < c.n_layers; ++l)
        for (int64_t h = 0; h < c.n_kv_heads; ++h) {
            const auto& head = s.cache().head(l, h);
            QCOMPARE(head.positions, expected[static_cast<size_t>(l)][static_cast<size_t>(h)]);
            const auto& all = full.cache().head(l, h);
            for (size_t e = 0; e < head.positions.size(); ++e) {
                const auto at = static_cast<size_t>(head.positions[e] * c.head_dim);
                QVERIFY(std::equal(head.k.floats() + e * c.head_dim, head.k.floats() + (e + 1) * c.head_dim, all.k.floats() + at));
                QVERIFY(std::equal(head.v.floats() + e * c.head_dim, head.v.floats() + (e + 1) * c.head_dim, all.v.floats() + at));
            }
        }
}

// Checks, at every layer it is asked, that the window sums the forward pass took give the
// scores the window's queries give when run again through the attention kernel (over the
// cached entries and new tokens together in joint eviction), then keeps the last `budget`
// tokens in every head.
class ObservationCheck final : public engine::EvictionPolicy {
public:
    explicit ObservationCheck(int64_t budget) : budget_(budget) {}
    std::string name() const override { return "observation-check"; }
    int64_t query_window() const override { return 8; }
    int64_t budget() const override { return budget_; }
    bool wants_observation_attention() const override { return true; }
    std::vector<std::vector<int32_t>> keep(const engine::EvictionInput& in) override {
        ++calls;
        if (!in.observation_attention) ++without_sums;
        else {
            const int64_t prefix = in.n_tokens - in.n_window;
            const auto summed = engine::observation_means(in, prefix);
            const auto again = engine::window_attention(in, prefix);
            for (size_t h = 0; h < summed.size(); ++h)
                for (int64_t j = 0; j < prefix; ++j)
                    worst = std::max(worst, std::abs(double(summed[h][static_cast<size_t>(j)]) - again[h][static_cast<size_t>(j)]));
        }
        const int64_t kept = std::min(budget_, in.n_tokens);
        return engine::same_for_all_heads(in, engine::index_range(in.n_tokens - kept, kept));
    }
    int calls = 0, without_sums = 0;
    double worst = 0.0;

private:
    int64_t budget_;
};

std::vector<int32_t> greedy(engine::Session& s, int64_t count) {
    return s.generate({.max_new_tokens = count}, {}, {}).tokens;
}

}  // namespace

class TestEvictionSession : public QObject {
    Q_OBJECT

private slots:
    void every_policy_prefills_through_the_session_and_a_cancel_changes_nothing() {
        const uint64_t seed = fresh_seed("one prefill");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto history = random_tokens(rng, 12), prompt = random_tokens(rng, 70);
        const auto adapter = std::make_shared<const engine::LookaheadAdapter>(
            engine::LookaheadAdapter::initialize(*model, {.n_tokens = 4, .rank = 2}, seed));
        const engine::PolicyOptions options{.budget = 24, .window = 8, .draft_tokens = 3, .draft_model = model,
                                            .adapter = adapter};
        for (const auto& name : engine::policy_names()) {
            engine::Session s(model, {.threads = 2, .chunk = 16, .policy = engine::make_policy(name, options)});
            QVERIFY(s.prefill(history));
            const auto bytes_before = s.cache().serialize();
            const auto logits_before = logits_of(s);

            // Cancelled from the progress callback part-way through: nothing changes.
            std::atomic<bool> cancel{false};
            int64_t reports = 0;
            const engine::PrefillStats cancelled = s.prefill(
                prompt,
                [&](const engine::PrefillProgress& p) {
                    ++reports;
                    QVERIFY(p.done <= p.total && p.layer < p.n_layers);
                    if (p.done * 3 >= p.total) cancel = true;
                },
                &cancel);
            QVERIFY2(!cancelled.completed, name.c_str());
            QVERIFY(reports > 0);
            QVERIFY2(s.cache().serialize() == bytes_before, name.c_str());
            QVERIFY2(logits_of(s) == logits_before, name.c_str());

            // Run to the end: the statistics describe what was read and kept.
            const engine::PrefillStats read = s.prefill(prompt);
            QVERIFY2(read.completed, name.c_str());
            QCOMPARE(read.tokens, int64_t{70});
            QVERIFY(read.seconds > 0.0 && read.eviction_seconds >= 0.0 && read.eviction_seconds <= read.seconds);
            QCOMPARE(read.kept_bytes, engine::kv_footprint(s.cache()).kept_bytes);
            QCOMPARE(read.full_bytes, engine::kv_footprint(s.cache()).full_bytes);
            if (name == "full") QCOMPARE(read.kept_bytes, read.full_bytes);
            else QVERIFY2(read.kept_bytes < read.full_bytes, name.c_str());
            if (name != "full" && name != "streaming") QVERIFY2(read.eviction_seconds > 0.0, name.c_str());
        }
    }

    void sessions_share_one_backend_one_after_the_other_and_across_threads() {
        const uint64_t seed = fresh_seed("shared backend");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto a = random_tokens(rng, 50), b = random_tokens(rng, 40);
        engine::Session alone_a(model, {.threads = 2}), alone_b(model, {.threads = 2});
        QVERIFY(alone_a.prefill(a));
        QVERIFY(alone_b.prefill(b));

        const std::shared_ptr<engine::Backend> backend = engine::make_cpu_backend(2);
        engine::Session first(model, backend, {.policy = engine::make_policy("snapkv", {.budget = 16, .window = 8})});
        engine::Session second(model, backend);
        QVERIFY(first.prefill(a));
        QVERIFY(second.prefill(b));
        QCOMPARE(logits_of(second), logits_of(alone_b));
        QCOMPARE(logits_of(first), logits_of(alone_a));   // eviction happens after the layer: same logits

        // Two sessions on one backend, each on its own thread at the same time, take turns.
        engine::Session left(model, backend), right(model, backend);
        std::thread t1([&] { left.prefill(a); for (int i = 0; i < 5; ++i) left.decode(7); });
        std::thread t2([&] { right.prefill(b); for (int i = 0; i < 5; ++i) right.decode(7); });
        t1.join();
        t2.join();
        for (int i = 0; i < 5; ++i) {
            alone_a.decode(7);
            alone_b.decode(7);
        }
        QCOMPARE(logits_of(left), logits_of(alone_a));
        QCOMPARE(logits_of(right), logits_of(alone_b));
    }

    void budget_of_the_whole_prompt_reproduces_full_exactly() {
        const uint64_t seed = fresh_seed("full equivalence");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto prompt = random_tokens(rng, 45), next_turn = random_tokens(rng, 4);

        engine::Session full(model, {.threads = 2, .chunk = 16});
        QVERIFY(full.prefill(prompt));
        const auto full_logits = logits_of(full);
        QVERIFY(full.append(next_turn));
        const auto full_after = logits_of(full);
        const auto full_answer = greedy(full, 4);

        const auto adapter = std::make_shared<const engine::LookaheadAdapter>(
            engine::LookaheadAdapter::initialize(*model, {.n_tokens = 4, .rank = 2}, seed));
        for (const auto& name : engine::policy_names())
            for (int64_t budget : {int64_t{45}, int64_t{60}}) {
                engine::PolicyOptions options{.budget = budget, .window = 8, .draft_tokens = 3, .draft_model = model,
                                              .adapter = adapter};
                engine::Session s(model, {.threads = 2, .chunk = 16, .policy = engine::make_policy(name, options)});
                QVERIFY(s.prefill(prompt));
                QCOMPARE(logits_of(s), full_logits);
                engine::Session reference_full(model, {.threads = 2, .chunk = 16});
                QVERIFY(reference_full.prefill(prompt));
                QVERIFY(s.cache() == reference_full.cache());
                QCOMPARE(engine::kv_footprint(s.cache()).kept_fraction(), 1.0);
                QVERIFY(s.append(next_turn));
                QCOMPARE(logits_of(s), full_after);
                QCOMPARE(greedy(s, 4), full_answer);
            }
    }

    void layer_policies_keep_their_budget_in_a_session() {
        const uint64_t seed = fresh_seed("budgets");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto prompt = random_tokens(rng, 70);
        const int64_t budget = 24, layers = model->config().n_layers;
        for (const std::string name : {"streaming", "snapkv", "pyramidkv", "h2o", "laq"}) {
            engine::Session s(model, {.threads = 2, .chunk = 32,
                                      .policy = engine::make_policy(name, {.budget = budget, .window = 8})});
            QVERIFY(s.prefill(prompt));
            int64_t total = 0;
            for (int64_t l = 0; l < layers; ++l)
                for (int64_t h = 0; h < model->config().n_kv_heads; ++h) {
                    const int64_t size = s.cache().head(l, h).size();
                    if (name != "pyramidkv") QCOMPARE(size, budget);
                    total += size;
                }
            QCOMPARE(total, budget * layers * model->config().n_kv_heads);
            const auto f = engine::kv_footprint(s.cache());
            QCOMPARE(f.kept_fraction(), static_cast<double>(budget) / 70.0);
            QCOMPARE(greedy(s, 3).size(), size_t{3});   // and it answers from the compressed cache
        }
    }

    void snapkv_and_h2o_in_a_session_match_the_references() {
        const uint64_t seed = fresh_seed("snapkv and h2o");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto& c = model->config();
        const auto prompt = random_tokens(rng, 64);
        const int64_t n = 64, budget = 21;
        engine::Session full(model, {.threads = 2, .chunk = 16});
        QVERIFY(full.prefill(prompt));
        const auto queries = queries_of(*model, engine::CompressedCache(c.n_layers, c.n_kv_heads, c.head_dim, model->fingerprint()), prompt);

        // SnapKV: the reference with no draft queries.
        engine::Session snap(model, {.threads = 2, .chunk = 16, .policy = engine::make_policy("snapkv", {.budget = budget, .window = 8})});
        QVERIFY(snap.prefill(prompt));
        std::vector<std::vector<std::vector<int32_t>>> expected_snap, expected_h2o;
        for (int64_t l = 0; l < c.n_layers; ++l) {
            reference::LayerData L{n, c.n_heads, c.n_kv_heads, c.head_dim, {}, {}, 8, {}, 0};
            L.k.resize(static_cast<size_t>(n * c.kv_dim()));
            for (int64_t h = 0; h < c.n_kv_heads; ++h)
                for (int64_t t = 0; t < n; ++t)
                    for (int64_t x = 0; x < c.head_dim; ++x)
                        L.k[static_cast<size_t>((t * c.n_kv_heads + h) * c.head_dim + x)] = full.cache().head(l, h).k.floats()[t * c.head_dim + x];
            const auto& q = queries[static_cast<size_t>(l)];
            L.window_q.assign(q.end() - 8 * c.q_dim(), q.end());
            expected_snap.push_back(reference::snapkv_keep(L, budget, 8, 7));

            // H2O: the full causal attention matrix of every prompt query, summed per key over the group.
            std::vector<std::vector<int32_t>> heads;
            const int64_t group = c.n_heads / c.n_kv_heads, recent = budget / 2, older = n - recent;
            for (int64_t kvh = 0; kvh < c.n_kv_heads; ++kvh) {
                std::vector<double> score(static_cast<size_t>(older), 0.0);
                for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
                    for (int64_t i = 0; i < n; ++i) {
                        const std::vector<double> qi(q.begin() + i * c.q_dim() + h * c.head_dim, q.begin() + i * c.q_dim() + (h + 1) * c.head_dim);
                        const auto row = reference::attention_row(L, qi.data(), h, i + 1);
                        for (int64_t j = 0; j < older; ++j) score[static_cast<size_t>(j)] += row[static_cast<size_t>(j)];
                    }
                auto kept = reference::best(score, budget - recent);
                for (int32_t t : reference::ascending(older, recent)) kept.push_back(t);
                heads.push_back(kept);
            }
            expected_h2o.push_back(heads);
        }
        check_kept(snap, full, expected_snap);
        // Chunks of 20: the window (tokens 56..63) straddles two chunks' attention calls.
        engine::Session straddled(model, {.threads = 2, .chunk = 20, .policy = engine::make_policy("snapkv", {.budget = budget, .window = 8})});
        QVERIFY(straddled.prefill(prompt));
        check_kept(straddled, full, expected_snap);
        engine::Session h2o(model, {.threads = 2, .chunk = 16, .policy = engine::make_policy("h2o", {.budget = budget})});
        QVERIFY(h2o.prefill(prompt));
        check_kept(h2o, full, expected_h2o);
    }

    // The observation window's sums come from the layer's own attention call, split off from
    // the queries before the window (also when a chunk boundary falls inside it), and in
    // windowed reading they cover the cached entries too.
    void observation_sums_are_the_window_attention() {
        const uint64_t seed = fresh_seed("observation sums");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        for (int64_t chunk : {16, 13}) {
            auto check = std::make_shared<ObservationCheck>(20);
            engine::Session one_pass(model, {.threads = 2, .chunk = chunk, .policy = check});
            QVERIFY(one_pass.prefill(random_tokens(rng, 60)));
            QCOMPARE(check->calls, int(model->config().n_layers));
            QCOMPARE(check->without_sums, 0);
            QVERIFY2(check->worst < 1e-6, std::to_string(check->worst).c_str());
        }
        auto check = std::make_shared<ObservationCheck>(20);
        engine::Session windowed(model, {.threads = 2, .chunk = 16, .policy = check, .window = 30});
        const auto stats = windowed.prefill(random_tokens(rng, 100));
        QVERIFY(stats.windows > 2);
        QCOMPARE(check->calls, int(stats.windows * model->config().n_layers));
        QCOMPARE(check->without_sums, 0);
        QVERIFY2(check->worst < 1e-6, std::to_string(check->worst).c_str());
        // A follow-up prompt attends to the cache as well, which SnapKV's scores leave out:
        // the policy is given no sums then and computes its own.
        const int before = check->calls;
        QVERIFY(windowed.prefill(random_tokens(rng, 12)));
        QCOMPARE(check->without_sums, check->calls - before);
    }

    void laq_drafts_on_the_snapkv_cache_and_rescores_the_full_one() {
        const uint64_t seed = fresh_seed("laq");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        const auto prompt = random_tokens(rng, 60);
        const engine::PolicyOptions options{.budget = 20, .window = 8, .draft_tokens = 5};

        auto laq = std::make_shared<engine::DraftPolicy>(options, engine::DraftSource::CompressedSelf);
        engine::Session s(model, {.threads = 2, .chunk = 16, .policy = laq});
        QVERIFY(s.prefill(prompt));
        const std::vector<int32_t> drafted = laq->last_draft();

        // The draft is what greedy generation gives on a SnapKV-compressed session.
        engine::Session snap(model, {.threads = 2, .chunk = 16, .policy = engine::make_policy("snapkv", options)});
        QVERIFY(snap.prefill(prompt));
        QCOMPARE(drafted, greedy(snap, 5));

        engine::Session full(model, {.threads = 2, .chunk = 16});
        QVERIFY(full.prefill(prompt));
        QCOMPARE(logits_of(s), logits_of(full));   // the prompt's own logits saw every token
        // LAQ re-selects with the draft's queries alone, averaged over them.
        check_kept(s, full, reference_lookahead(model, prompt, drafted, 20, 0, reference::Reduce::Mean));
        QCOMPARE(s.position(), int64_t{60});
        QCOMPARE(greedy(s, 3).size(), size_t{3});

        // LAQ++: the last 8 prompt queries join the same draft's.
        engine::PolicyOptions plus = options;
        plus.laq_stage2_window = 8;
        auto laqpp = std::make_shared<engine::DraftPolicy>(plus, engine::DraftSource::CompressedSelf);
        engine::Session p(model, {.threads = 2, .chunk = 16, .policy = laqpp});
        QVERIFY(p.prefill(prompt));
        QCOMPARE(laqpp->last_draft(), drafted);
        check_kept(p, full, reference_lookahead(model, prompt, drafted, 20, 8, reference::Reduce::Mean));
    }

    void draft_length_is_the_option_or_the_papers_default() {
        const uint64_t seed = fresh_seed("draft length");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);   // its end token is outside the vocabulary: drafts run their full length
        const auto prompt = random_tokens(rng, 40);
        auto drafted = [&](engine::PolicyOptions o, engine::DraftSource source) {
            auto policy = std::make_shared<engine::DraftPolicy>(o, source);
            engine::Session s(model, {.threads = 2, .chunk = 16, .policy = policy});
            if (!s.prefill(prompt)) qFatal("prefill cancelled");
            return policy->last_draft().size();
        };
        const engine::PolicyOptions base{.budget = 16, .window = 8, .answer_tokens = 11, .draft_model = model};
        QCOMPARE(drafted(base, engine::DraftSource::CompressedSelf), size_t{8});    // LAQ: 8
        QCOMPARE(drafted(base, engine::DraftSource::DraftModel), size_t{11});       // SpecKV: the whole answer
        engine::PolicyOptions given = base;
        given.draft_tokens = 3;
        QCOMPARE(drafted(given, engine::DraftSource::CompressedSelf), size_t{3});
        QCOMPARE(drafted(given, engine::DraftSource::DraftModel), size_t{3});
    }

    void speckv_drafting_with_the_target_is_labelled_an_oracle() {
        const uint64_t seed = fresh_seed("oracle label");
        auto model = tiny_model(seed);
        auto same_weights = tiny_model(seed);   // another object, the same fingerprint
        auto other = tiny_model(seed + 1);
        QCOMPARE(same_weights->fingerprint(), model->fingerprint());
        QVERIFY(other->fingerprint() != model->fingerprint());
        auto label = [&](const char* name, std::shared_ptr<const engine::Model> draft) {
            return engine::policy_label(*engine::make_policy(name, {.budget = 16, .draft_model = draft}), *model);
        };
        QCOMPARE(label("speckv", model), std::string(engine::kSelfDraftOracle));
        QCOMPARE(label("speckv", same_weights), std::string("speckv (oracle: self-draft)"));
        QCOMPARE(label("speckv", other), std::string("speckv"));
        QCOMPARE(label("laq", model), std::string("laq"));   // LAQ drafts on a compressed cache: no oracle
        QCOMPARE(label("snapkv", model), std::string("snapkv"));
        const auto by_path = engine::make_policy("speckv", {.budget = 16, .draft_model_path = "other.gguf"});
        QCOMPARE(engine::policy_label(*by_path, *model), std::string("speckv"));
    }

    void speckv_drafts_with_another_model_and_rescores_with_the_target() {
        const uint64_t seed = fresh_seed("speckv");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        TinySpec small = four_layers();
        small.n_layers = 1;
        small.dim = 32;
        small.n_heads = 2;
        small.n_kv_heads = 1;
        auto draft_model = tiny_model(seed + 1, small);
        const auto history = random_tokens(rng, 10), prompt = random_tokens(rng, 50);
        const engine::PolicyOptions options{.budget = 16, .window = 8, .draft_tokens = 4, .draft_model = draft_model};

        // A second turn: the draft model reads the whole history, the selection only the new
        // tokens. (The history is within the budget, so its own prefill keeps all of it.)
        auto speckv = std::make_shared<engine::DraftPolicy>(options, engine::DraftSource::DraftModel);
        engine::Session s(model, {.threads = 2, .chunk = 16, .policy = speckv});
        QVERIFY(s.prefill(history));
        QVERIFY(speckv->last_draft().empty());
        QVERIFY(s.prefill(prompt));
        std::vector<int32_t> drafted = speckv->last_draft();
        engine::Session drafter(draft_model, {.threads = 2});
        std::vector<int32_t> all = history;
        all.insert(all.end(), prompt.begin(), prompt.end());
        QVERIFY(drafter.prefill(all));
        QCOMPARE(drafted, greedy(drafter, 4));

        // Reference on the new tokens alone needs a session whose history is the same.
        engine::Session full(model, {.threads = 2, .chunk = 16});
        QVERIFY(full.prefill(history));
        QVERIFY(full.prefill(prompt));
        QCOMPARE(logits_of(s), logits_of(full));
        const auto& c = model->config();
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (int64_t h = 0; h < c.n_kv_heads; ++h) {
                const auto& positions = s.cache().head(l, h).positions;
                QCOMPARE(static_cast<int64_t>(positions.size()), int64_t{10 + 16});
                for (int32_t t = 0; t < 10; ++t) QCOMPARE(positions[static_cast<size_t>(t)], t);   // history untouched
            }

        // On a fresh session the kept sets match the reference scoring exactly.
        engine::Session fresh(model, {.threads = 2, .chunk = 16, .policy = speckv});
        QVERIFY(fresh.prefill(prompt));
        drafted = speckv->last_draft();
        engine::Session full_fresh(model, {.threads = 2});
        QVERIFY(full_fresh.prefill(prompt));
        // SpecKV: its whole window and the draft, the largest weight over the queries.
        check_kept(fresh, full_fresh, reference_lookahead(model, prompt, drafted, 16, 8, reference::Reduce::Max));

        // A draft with another vocabulary is refused; a cancelled prefill changes nothing.
        TinySpec other = small;
        other.vocab = 50;
        engine::PolicyOptions wrong = options;
        wrong.draft_model = tiny_model(seed + 2, other);
        engine::Session t(model, {.threads = 2, .policy = engine::make_policy("speckv", wrong)});
        QVERIFY_THROWS_EXCEPTION(engine::Error, t.prefill(prompt));
        QCOMPARE(t.position(), int64_t{0});
        engine::Session u(model, {.threads = 2, .policy = engine::make_policy("speckv", options)});
        std::atomic<bool> cancel{true};
        QVERIFY(!u.prefill(prompt, {}, &cancel));
        QCOMPARE(u.position(), int64_t{0});
        QVERIFY(u.logits().empty());
    }
};

QTEST_GUILESS_MAIN(TestEvictionSession)
#include "test_eviction_session.moc"
