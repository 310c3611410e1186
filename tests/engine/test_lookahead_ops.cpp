// Every backward op of the lookahead rows against central finite differences in double
// precision on fresh random inputs: the gradient of L = sum(w * y) for a random w. The
// analytic gradient must match the numeric one to a relative error (in the 2-norm over all
// entries) below 1e-6.

#include "reference/finite_difference.h"

#include "engine/error.h"
#include "engine/lookahead/lookahead_attention.h"
#include "engine/lookahead/lookahead_ops.h"
#include "engine/lookahead/lookahead_score.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>

using namespace engine::lookahead;
using reference::dot;
using reference::gradient_error;
using reference::numeric_gradient;
using reference::random_vector;

namespace {

constexpr double kTolerance = 1e-6;

std::vector<float> random_floats(std::mt19937_64& rng, size_t n, double scale = 1.0) {
    std::vector<float> v(n);
    std::normal_distribution<float> normal(0.0f, static_cast<float>(scale));
    for (auto& x : v) x = normal(rng);
    return v;
}

#define CHECK_GRADIENT(analytic, numeric)                                                              \
    do {                                                                                               \
        const double err_ = gradient_error(analytic, numeric);                                         \
        qInfo("%s: relative error %.3g (bound %.0e)", #analytic, err_, kTolerance);                    \
        QVERIFY2(err_ < kTolerance, qPrintable(QString("%1: relative error %2").arg(#analytic).arg(err_))); \
    } while (0)

// Fixed prompt keys and values for n_kv heads, float as in the KV cache.
struct PromptKv {
    std::vector<std::vector<float>> k, v;
    std::vector<engine::KvSpan> spans;
    PromptKv(std::mt19937_64& rng, int64_t n_kv, int64_t n, int64_t head_dim) {
        for (int64_t h = 0; h < n_kv; ++h) {
            k.push_back(random_floats(rng, static_cast<size_t>(n * head_dim)));
            v.push_back(random_floats(rng, static_cast<size_t>(n * head_dim)));
        }
        for (int64_t h = 0; h < n_kv; ++h) spans.push_back({k[h].data(), v[h].data(), n, head_dim});
    }
};

// A random distribution per KV head, some entries exactly zero.
std::vector<double> random_target(std::mt19937_64& rng, int64_t n_kv, int64_t n) {
    std::vector<double> t = random_vector(rng, static_cast<size_t>(n_kv * n));
    for (int64_t h = 0; h < n_kv; ++h) {
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            double& x = t[static_cast<size_t>(h * n + i)];
            x = (i % 5 == 3) ? 0.0 : std::exp(x);
            sum += x;
        }
        for (int64_t i = 0; i < n; ++i) t[static_cast<size_t>(h * n + i)] /= sum;
    }
    return t;
}

}  // namespace

class TestLookaheadOps : public QObject {
    Q_OBJECT

private slots:
    // The two matrix products against their definition, on shapes with every kind of edge
    // (rows, columns and lengths that do not fill the vector blocks) and padded strides
    // whose padding must stay untouched. Tolerance: 1e-12 of the sum of |products|.
    void matrix_products_match_their_definition() {
        std::mt19937_64 rng(reference::fresh_seed("lookahead matrix products"));
        struct Shape {
            int64_t rows, out, n;
        };
        for (const Shape sh : {Shape{1, 1, 1}, Shape{5, 3, 7}, Shape{4, 2, 8}, Shape{9, 5, 21}, Shape{32, 7, 64}, Shape{3, 4, 19}}) {
            const int64_t ldx = sh.n + 3, ldw = sh.n + 5, ldy = sh.out + 2;
            const auto x = random_vector(rng, static_cast<size_t>(sh.rows * ldx));
            const auto w = random_floats(rng, static_cast<size_t>(sh.out * ldw));
            std::vector<double> y(static_cast<size_t>(sh.rows * ldy), 7.0);
            rows_dot_rows(x.data(), ldx, sh.rows, w.data(), ldw, sh.out, sh.n, y.data(), ldy);
            for (int64_t t = 0; t < sh.rows; ++t)
                for (int64_t o = 0; o < ldy; ++o) {
                    if (o >= sh.out) {
                        QCOMPARE(y[t * ldy + o], 7.0);
                        continue;
                    }
                    double want = 0.0, size = 0.0;
                    for (int64_t i = 0; i < sh.n; ++i) {
                        want += x[t * ldx + i] * double(w[o * ldw + i]);
                        size += std::fabs(x[t * ldx + i] * double(w[o * ldw + i]));
                    }
                    QVERIFY2(std::fabs(y[t * ldy + o] - want) <= 1e-12 * size,
                             qPrintable(QString("rows_dot_rows %1x%2x%3 at (%4, %5)").arg(sh.rows).arg(sh.out).arg(sh.n).arg(t).arg(o)));
                }

            // DX += DY W, with DY [rows][out] and DX [rows][n].
            const int64_t lddy = sh.out + 1, lddx = sh.n + 4;
            const auto dy = random_vector(rng, static_cast<size_t>(sh.rows * lddy));
            const auto before = random_vector(rng, static_cast<size_t>(sh.rows * lddx));
            auto dx = before;
            add_rows_times_matrix(dy.data(), lddy, sh.rows, w.data(), ldw, sh.out, sh.n, dx.data(), lddx);
            for (int64_t t = 0; t < sh.rows; ++t)
                for (int64_t i = 0; i < lddx; ++i) {
                    if (i >= sh.n) {
                        QCOMPARE(dx[t * lddx + i], before[t * lddx + i]);
                        continue;
                    }
                    double want = before[t * lddx + i], size = std::fabs(want);
                    for (int64_t o = 0; o < sh.out; ++o) {
                        want += dy[t * lddy + o] * double(w[o * ldw + i]);
                        size += std::fabs(dy[t * lddy + o] * double(w[o * ldw + i]));
                    }
                    QVERIFY2(std::fabs(dx[t * lddx + i] - want) <= 1e-12 * size,
                             qPrintable(QString("add_rows_times_matrix %1x%2x%3 at (%4, %5)").arg(sh.rows).arg(sh.out).arg(sh.n).arg(t).arg(i)));
                }
        }
    }

    void rmsnorm_backward_matches_finite_differences() {
        std::mt19937_64 rng(reference::fresh_seed("rmsnorm"));
        const int64_t n = 3, dim = 11;
        auto x = random_vector(rng, n * dim);
        const auto w = random_floats(rng, dim);
        const auto dy = random_vector(rng, n * dim);
        const double eps = 1e-5;
        auto loss = [&] {
            std::vector<double> y(x.size());
            rmsnorm_forward(x.data(), w.data(), n, dim, eps, y.data());
            return dot(y, dy);
        };
        std::vector<double> dx(x.size(), 0.0);
        rmsnorm_backward(x.data(), w.data(), n, dim, eps, dy.data(), dx.data());
        CHECK_GRADIENT(dx, numeric_gradient(x, loss));
    }

    void lora_linear_backward_matches_finite_differences() {
        std::mt19937_64 rng(reference::fresh_seed("LoRA linear"));
        const int64_t n = 4, in = 9, out = 7, rank = 3;
        auto x = random_vector(rng, n * in);
        const auto w = random_floats(rng, out * in);
        const auto bias = random_floats(rng, out);
        auto a = random_vector(rng, rank * in);
        auto b = random_vector(rng, out * rank);
        const auto dy = random_vector(rng, n * out);
        LoraLinear p{w.data(), bias.data(), in, out, a.data(), b.data(), rank, 2.5};
        auto loss = [&] {
            std::vector<double> xa(n * rank), y(n * out);
            linear_forward(p, x.data(), n, xa.data(), y.data());
            return dot(y, dy);
        };
        std::vector<double> xa(n * rank), y(n * out);
        linear_forward(p, x.data(), n, xa.data(), y.data());
        std::vector<double> dx(x.size(), 0.0), da(a.size(), 0.0), db(b.size(), 0.0);
        linear_backward(p, x.data(), xa.data(), dy.data(), n, dx.data(), da.data(), db.data());
        CHECK_GRADIENT(dx, numeric_gradient(x, loss));
        CHECK_GRADIENT(da, numeric_gradient(a, loss));
        CHECK_GRADIENT(db, numeric_gradient(b, loss));

        // Without LoRA the projection is the base one, and only dx is produced.
        LoraLinear base{w.data(), nullptr, in, out};
        std::vector<double> y0(n * out);
        linear_forward(base, x.data(), n, nullptr, y0.data());
        for (int64_t t = 0; t < n; ++t)
            for (int64_t o = 0; o < out; ++o) {
                double ref = 0.0;
                for (int64_t c = 0; c < in; ++c) ref += double(w[o * in + c]) * x[t * in + c];
                QVERIFY(std::fabs(y0[t * out + o] - ref) < 1e-12 * (1.0 + std::fabs(ref)));
            }
    }

    void rope_backward_matches_finite_differences_data() {
        QTest::addColumn<int>("style");
        QTest::addColumn<int>("pairs");
        QTest::newRow("normal pairs, full head") << int(engine::RopeStyle::Normal) << 4;
        QTest::newRow("neox pairs, full head") << int(engine::RopeStyle::Neox) << 4;
        QTest::newRow("normal pairs, partial rotation") << int(engine::RopeStyle::Normal) << 2;
    }

    void rope_backward_matches_finite_differences() {
        QFETCH(int, style);
        QFETCH(int, pairs);
        std::mt19937_64 rng(reference::fresh_seed(QTest::currentDataTag()));
        const int64_t n = 3, heads = 2, head_dim = 8, first = 37;
        std::vector<float> freqs;
        for (int i = 0; i < pairs; ++i) freqs.push_back(std::pow(10000.0f, -2.0f * i / (2.0f * pairs)));
        auto x = random_vector(rng, n * heads * head_dim);
        const auto dy = random_vector(rng, x.size());
        const auto rs = static_cast<engine::RopeStyle>(style);
        auto loss = [&] {
            auto y = x;
            rope_forward(y.data(), n, heads, head_dim, first, freqs, rs);
            return dot(y, dy);
        };
        auto dx = dy;
        rope_backward(dx.data(), n, heads, head_dim, first, freqs, rs);
        CHECK_GRADIENT(dx, numeric_gradient(x, loss));
        // A rotation keeps each pair's length.
        auto y = x;
        rope_forward(y.data(), n, heads, head_dim, first, freqs, rs);
        QVERIFY(std::fabs(dot(y, y) - dot(x, x)) < 1e-10 * dot(x, x));
    }

    void softmax_backward_matches_finite_differences() {
        std::mt19937_64 rng(reference::fresh_seed("softmax"));
        const int64_t n = 13;
        auto x = random_vector(rng, n, 3.0);
        const auto dp = random_vector(rng, n);
        auto loss = [&] {
            std::vector<double> p(n);
            softmax_forward(x.data(), n, p.data());
            return dot(p, dp);
        };
        std::vector<double> p(n), dx(n, 0.0);
        softmax_forward(x.data(), n, p.data());
        double sum = 0.0;
        for (double v : p) sum += v;
        QVERIFY(std::fabs(sum - 1.0) < 1e-14);
        softmax_backward(p.data(), dp.data(), n, dx.data());
        CHECK_GRADIENT(dx, numeric_gradient(x, loss));
    }

    void swiglu_and_add_backward_match_finite_differences() {
        std::mt19937_64 rng(reference::fresh_seed("swiglu and add"));
        const int64_t n = 17;
        auto gate = random_vector(rng, n, 2.0);
        auto up = random_vector(rng, n);
        const auto dy = random_vector(rng, n);
        auto loss = [&] {
            std::vector<double> y(n);
            swiglu_forward(gate.data(), up.data(), n, y.data());
            return dot(y, dy);
        };
        std::vector<double> dgate(n, 0.0), dup(n, 0.0);
        swiglu_backward(gate.data(), up.data(), dy.data(), n, dgate.data(), dup.data());
        CHECK_GRADIENT(dgate, numeric_gradient(gate, loss));
        CHECK_GRADIENT(dup, numeric_gradient(up, loss));

        auto a = random_vector(rng, n), b = random_vector(rng, n);
        auto add_loss = [&] {
            auto s = a;
            add_forward(s.data(), b.data(), n);
            return dot(s, dy);
        };
        std::vector<double> da(n, 0.0), db(n, 0.0);
        add_backward(dy.data(), n, da.data(), db.data());
        CHECK_GRADIENT(da, numeric_gradient(a, add_loss));
        CHECK_GRADIENT(db, numeric_gradient(b, add_loss));
    }

    // Heads of 6 take the products' edge paths only; heads of 16 their vector blocks too.
    void attention_backward_matches_finite_differences_data() {
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<int>("prompt_tokens");
        QTest::newRow("heads of 6") << 6 << 9;
        QTest::newRow("heads of 16") << 16 << 11;
    }
    void attention_backward_matches_finite_differences() {
        QFETCH(int, head_dim);
        QFETCH(int, prompt_tokens);
        std::mt19937_64 rng(reference::fresh_seed(QTest::currentDataTag()));
        const AttentionShape s{5, 4, 2, head_dim, 1.0 / std::sqrt(double(head_dim))};
        const int64_t n_p = prompt_tokens;
        PromptKv prompt(rng, s.n_kv_heads, n_p, s.head_dim);
        auto q = random_vector(rng, s.m * s.q_dim());
        auto k = random_vector(rng, s.m * s.kv_dim());
        auto v = random_vector(rng, s.m * s.kv_dim());
        const auto dout = random_vector(rng, s.m * s.q_dim());
        const size_t n_probs = static_cast<size_t>(s.n_heads * s.m * probs_width(s, n_p));
        auto loss = [&] {
            std::vector<double> probs(n_probs), out(s.m * s.q_dim());
            attention_forward(s, q.data(), prompt.spans, k.data(), v.data(), probs.data(), out.data());
            return dot(out, dout);
        };
        std::vector<double> probs(n_probs), out(s.m * s.q_dim());
        attention_forward(s, q.data(), prompt.spans, k.data(), v.data(), probs.data(), out.data());
        // Causal among lookahead rows: row i gives no weight to lookahead keys after it.
        for (int64_t h = 0; h < s.n_heads; ++h)
            for (int64_t i = 0; i < s.m; ++i)
                for (int64_t j = i + 1; j < s.m; ++j) QCOMPARE(probs[(h * s.m + i) * (n_p + s.m) + n_p + j], 0.0);
        std::vector<double> dq(q.size(), 0.0), dk(k.size(), 0.0), dv(v.size(), 0.0);
        attention_backward(s, q.data(), prompt.spans, k.data(), v.data(), probs.data(), dout.data(), dq.data(),
                           dk.data(), dv.data());
        CHECK_GRADIENT(dq, numeric_gradient(q, loss));
        CHECK_GRADIENT(dk, numeric_gradient(k, loss));
        CHECK_GRADIENT(dv, numeric_gradient(v, loss));
    }

    void attention_output_matches_direct_sum() {
        std::mt19937_64 rng(reference::fresh_seed("attention output"));
        const AttentionShape s{3, 2, 1, 4, 0.5};
        const int64_t n_p = 4;
        PromptKv prompt(rng, 1, n_p, s.head_dim);
        const auto q = random_vector(rng, s.m * s.q_dim());
        const auto k = random_vector(rng, s.m * s.kv_dim());
        const auto v = random_vector(rng, s.m * s.kv_dim());
        std::vector<double> probs(s.n_heads * s.m * (n_p + s.m)), out(s.m * s.q_dim());
        attention_forward(s, q.data(), prompt.spans, k.data(), v.data(), probs.data(), out.data());
        // Row 2 of head 1 sees 4 prompt keys and lookahead keys 0..2, written out by hand.
        const int64_t i = 2, h = 1;
        std::vector<double> logits, values;
        for (int64_t j = 0; j < n_p + i + 1; ++j) {
            double l = 0.0;
            for (int64_t d = 0; d < s.head_dim; ++d) {
                const double kd = j < n_p ? prompt.k[0][j * 4 + d] : k[(j - n_p) * 4 + d];
                l += q[i * 8 + h * 4 + d] * kd;
            }
            logits.push_back(l * s.scale);
        }
        double z = 0.0;
        for (double l : logits) z += std::exp(l);
        for (int64_t d = 0; d < s.head_dim; ++d) {
            double o = 0.0;
            for (int64_t j = 0; j < n_p + i + 1; ++j) {
                const double vd = j < n_p ? prompt.v[0][j * 4 + d] : v[(j - n_p) * 4 + d];
                o += std::exp(logits[j]) / z * vd;
            }
            QVERIFY(std::fabs(out[i * 8 + h * 4 + d] - o) < 1e-12);
        }
    }

    void prompt_scores_are_distributions_and_kl_gradient_matches_data() {
        QTest::addColumn<bool>("with_lookahead_keys");
        QTest::newRow("prompt and lookahead keys") << true;
        QTest::newRow("prompt keys only") << false;
    }

    void prompt_scores_are_distributions_and_kl_gradient_matches() {
        QFETCH(bool, with_lookahead_keys);
        std::mt19937_64 rng(reference::fresh_seed(QTest::currentDataTag()));
        const AttentionShape s{4, 6, 2, 5, 1.0 / std::sqrt(5.0)};
        const int64_t n_p = 11;
        PromptKv prompt(rng, s.n_kv_heads, n_p, s.head_dim);
        auto q = random_vector(rng, s.m * s.q_dim());
        auto k = random_vector(rng, s.m * s.kv_dim());
        const double* kp = with_lookahead_keys ? k.data() : nullptr;
        const auto target = random_target(rng, s.n_kv_heads, n_p);
        const double weight = 0.7;

        std::vector<double> dist(s.n_kv_heads * n_p);
        prompt_scores(s, q.data(), prompt.spans, kp, dist.data());
        for (int64_t g = 0; g < s.n_kv_heads; ++g) {
            double sum = 0.0;
            for (int64_t t = 0; t < n_p; ++t) {
                QVERIFY(dist[g * n_p + t] > 0.0);
                sum += dist[g * n_p + t];
            }
            QVERIFY(std::fabs(sum - 1.0) < 1e-12);
        }
        // The loss is the KL divergence written out directly from those distributions.
        double expected = 0.0;
        for (size_t i = 0; i < dist.size(); ++i)
            if (target[i] > 0) expected += weight * target[i] * std::log(target[i] / dist[i]);
        auto loss = [&] {
            std::vector<double> dq(q.size()), dk(k.size());
            return prompt_scores_kl_backward(s, q.data(), prompt.spans, with_lookahead_keys ? k.data() : nullptr,
                                             target.data(), weight, dq.data(), dk.data());
        };
        std::vector<double> dq(q.size(), 0.0), dk(k.size(), 0.0), per_head(s.n_kv_heads);
        const double l = prompt_scores_kl_backward(s, q.data(), prompt.spans, kp, target.data(), weight, dq.data(),
                                                   with_lookahead_keys ? dk.data() : nullptr, per_head.data());
        QVERIFY(std::fabs(l - expected) < 1e-12 * (1.0 + expected));
        QVERIFY(std::fabs(weight * (per_head[0] + per_head[1]) - l) < 1e-12);
        QVERIFY(per_head[0] > 0.0 && per_head[1] > 0.0);
        CHECK_GRADIENT(dq, numeric_gradient(q, loss));
        if (with_lookahead_keys) CHECK_GRADIENT(dk, numeric_gradient(k, loss));
    }

    void kl_is_zero_when_scores_equal_the_target() {
        std::mt19937_64 rng(reference::fresh_seed("KL at its minimum"));
        const AttentionShape s{2, 2, 1, 4, 0.5};
        PromptKv prompt(rng, 1, 6, 4);
        auto q = random_vector(rng, s.m * s.q_dim());
        auto k = random_vector(rng, s.m * s.kv_dim());
        std::vector<double> dist(6);
        prompt_scores(s, q.data(), prompt.spans, k.data(), dist.data());
        std::vector<double> dq(q.size(), 0.0), dk(k.size(), 0.0);
        const double l = prompt_scores_kl_backward(s, q.data(), prompt.spans, k.data(), dist.data(), 1.0, dq.data(), dk.data());
        QVERIFY(std::fabs(l) < 1e-14);
        QVERIFY(std::sqrt(dot(dq, dq) + dot(dk, dk)) < 1e-12);
    }

    void max_pool_takes_the_window_maximum() {
        const std::vector<double> x{0.1, 0.9, 0.2, 0.0, 0.3, 0.05, 0.7};
        const auto pooled = max_pool_scores(x, 3);
        const std::vector<double> expected{0.9, 0.9, 0.9, 0.3, 0.3, 0.7, 0.7};
        QCOMPARE(pooled, expected);
        QCOMPARE(max_pool_scores(x, 1), x);
        QVERIFY_THROWS_EXCEPTION(engine::Error, max_pool_scores(x, 4));
    }

    void prompt_heads_of_different_lengths_are_refused() {
        std::vector<float> k(8, 0.0f), v(8, 0.0f);
        std::vector<engine::KvSpan> spans{{k.data(), v.data(), 2, 4}, {k.data(), v.data(), 1, 4}};
        try {
            prompt_length(spans, 2);
            QFAIL("heads of different lengths were accepted");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("different prompt lengths"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, prompt_length(spans, 3));
    }
};

QTEST_GUILESS_MAIN(TestLookaheadOps)
#include "test_lookahead_ops.moc"
