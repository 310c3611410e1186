// The engine's measures of what a compressed cache kept: attention recall and the
// negative log-likelihood of a response, against double-precision references on fresh
// random data, and their edge cases.

#include "engine/error.h"
#include "engine/metrics/attention_recall.h"
#include "engine/metrics/response_nll.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>
#include <set>
#include <vector>

using engine::attention_recall;
using engine::negative_log_prob;

class TestCacheMetrics : public QObject {
    Q_OBJECT

private slots:
    void attention_recall_matches_a_reference_on_random_data() {
        std::mt19937_64 random(std::random_device{}());
        std::uniform_real_distribution<double> weight(0.0, 1.0);
        for (int trial = 0; trial < 50; ++trial) {
            const size_t n = 1 + random() % 500;
            std::vector<double> attention(n);
            std::vector<float> attention_f(n);
            for (size_t i = 0; i < n; ++i) attention_f[i] = static_cast<float>(attention[i] = weight(random));
            std::vector<int32_t> kept;
            std::set<int32_t> unique;
            for (size_t i = 0; i < n / 3 + 1; ++i) {
                const int32_t index = static_cast<int32_t>(random() % n);
                kept.push_back(index);
                unique.insert(index);
            }
            double total = 0, on_kept = 0, total_f = 0, on_kept_f = 0;
            for (size_t i = 0; i < n; ++i) total += attention[i], total_f += attention_f[i];
            for (int32_t index : unique) on_kept += attention[index], on_kept_f += attention_f[index];
            QVERIFY(std::abs(attention_recall(attention, kept) - on_kept / total) < 1e-12);
            QVERIFY(std::abs(attention_recall(attention_f, kept) - on_kept_f / total_f) < 1e-9);
        }
    }

    void negative_log_prob_matches_a_double_log_softmax() {
        std::mt19937_64 random(std::random_device{}());
        std::normal_distribution<float> logit(0.0f, 8.0f);
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<float> logits(1 + random() % 5000);
            for (auto& x : logits) x = logit(random) + (trial % 2 ? 300.0f : 0.0f);   // large offsets too
            const auto token = static_cast<int32_t>(random() % logits.size());
            long double sum = 0;
            for (float x : logits) sum += std::exp(static_cast<long double>(x) - logits[static_cast<size_t>(token)]);
            const double want = static_cast<double>(std::log(sum));
            QVERIFY2(std::abs(negative_log_prob(logits, token) - want) < 1e-9 * std::max(1.0, want),
                     qPrintable(QString::number(negative_log_prob(logits, token) - want)));
        }
        QVERIFY_THROWS_EXCEPTION(engine::Error, negative_log_prob(std::vector<float>{1.0f}, 1));
        QVERIFY_THROWS_EXCEPTION(engine::Error, negative_log_prob(std::vector<float>{}, 0));
    }

    void attention_recall_edges() {
        const std::vector<double> attention{0.5, 0.25, 0.25, 0.0};
        QCOMPARE(attention_recall(attention, std::vector<int32_t>{0, 1, 2, 3}), 1.0);
        QCOMPARE(attention_recall(attention, std::vector<int32_t>{}), 0.0);
        QCOMPARE(attention_recall(attention, std::vector<int32_t>{1, 1, 1}), 0.25);
        QCOMPARE(attention_recall(attention, std::vector<int32_t>{3}), 0.0);
        QVERIFY_THROWS_EXCEPTION(engine::Error, attention_recall(attention, std::vector<int32_t>{4}));
        QVERIFY_THROWS_EXCEPTION(engine::Error, attention_recall(attention, std::vector<int32_t>{-1}));
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 attention_recall(std::vector<double>{0.5, -0.1}, std::vector<int32_t>{0}));
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 attention_recall(std::vector<double>{0.0, 0.0}, std::vector<int32_t>{0}));
        QVERIFY_THROWS_EXCEPTION(engine::Error,
                                 attention_recall(std::vector<double>{NAN, 1.0}, std::vector<int32_t>{0}));
    }
};

QTEST_GUILESS_MAIN(TestCacheMetrics)
#include "test_cache_metrics.moc"
