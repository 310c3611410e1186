// Evaluation harness metrics: answer matching, mean and 95% confidence intervals against
// hand-computed values, and grouping of records.

#include "engine/error.h"
#include "app/eval/answer_match.h"
#include "app/eval/eval_record.h"
#include "app/eval/statistics.h"

#include <QtTest/QtTest>

#include <cmath>
#include <random>
#include <set>
#include <vector>

using namespace glimpse::eval;

class EvalMetrics : public QObject {
    Q_OBJECT

private slots:
    void answers_match_ignoring_case_and_whitespace() {
        QVERIFY(answer_found("The city is  New\n York, I think.", "new york"));
        QVERIFY(answer_found("ANSWER:\t1234567", "  1234567 "));
        QVERIFY(!answer_found("New-York", "new york"));
        QVERIFY(!answer_found("anything", ""));
        QVERIFY(!answer_found("anything", " \n\t"));
        QVERIFY(!answer_found("", "x"));
        // Containment, as in RULER: a longer number containing the answer counts.
        QVERIFY(answer_found("81234567", "1234567"));
        QCOMPARE(normalise_answer_text("  A\tB \n\n C  "), std::string("a b c"));
        // Non-ASCII bytes pass through unchanged.
        QVERIFY(answer_found("Zürich", "zürich"));
    }

    void answer_score_is_the_share_of_answers_found() {
        QCOMPARE(answer_score("alpha and GAMMA", {"alpha", "beta", "gamma", "delta"}).value(), 0.5);
        QCOMPARE(answer_score("nothing", {"alpha"}).value(), 0.0);
        QCOMPARE(answer_score("alpha", {"alpha", "alpha"}).value(), 1.0);
        QCOMPARE(answer_score("x", {"", "x"}).value(), 0.5);
        QVERIFY(!answer_score("alpha", {}).has_value());
    }

    void confidence_intervals_match_hand_computed_values() {
        // {1,2,3,4,5}: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445, so the half width is
        // 2.776445 * sqrt(2.5) / sqrt(5) = 2.776445 / sqrt(2) = 1.963243.
        const std::vector<double> five{1, 2, 3, 4, 5};
        const MeanInterval a = mean_with_ci95(five);
        QCOMPARE(a.n, size_t{5});
        QCOMPARE(a.mean, 3.0);
        QVERIFY(std::abs(a.half_width - 1.963243) < 1e-6);
        QVERIFY(std::abs(a.low() - 1.036757) < 1e-6);
        // {2,4}: s = sqrt(2), half width = 12.706205 * sqrt(2) / sqrt(2).
        const MeanInterval b = mean_with_ci95(std::vector<double>{2, 4});
        QVERIFY(std::abs(b.half_width - 12.706205) < 1e-6);
        // {0.1, 0.4, 0.4, 0.7, 0.9, 1.0}: mean 0.583333, s = 0.343026, t(5) = 2.570582,
        // half width = 2.570582 * 0.343026 / sqrt(6) = 0.359983.
        const MeanInterval c = mean_with_ci95(std::vector<double>{0.1, 0.4, 0.4, 0.7, 0.9, 1.0});
        QVERIFY(std::abs(c.mean - 0.583333) < 1e-6);
        QVERIFY(std::abs(c.half_width - 0.359983) < 1e-6);
        // Identical values: no spread.
        QCOMPARE(mean_with_ci95(std::vector<double>{7, 7, 7}).half_width, 0.0);
        const MeanInterval one = mean_with_ci95(std::vector<double>{4});
        QCOMPARE(one.mean, 4.0);
        QVERIFY(std::isnan(one.half_width));
        const MeanInterval none = mean_with_ci95(std::vector<double>{});
        QCOMPARE(none.n, size_t{0});
        QVERIFY(std::isnan(none.mean));
        QVERIFY_THROWS_EXCEPTION(engine::Error, mean_with_ci95(std::vector<double>{1, INFINITY}));
    }

    void student_t_quantiles() {
        QVERIFY(std::abs(student_t_975(1) - 12.706205) < 1e-6);
        QVERIFY(std::abs(student_t_975(10) - 2.228139) < 1e-6);
        QVERIFY(std::abs(student_t_975(30) - 2.042272) < 1e-6);
        // Published values past the table: 40 -> 2.021075, 60 -> 2.000298, 120 -> 1.979930.
        QVERIFY(std::abs(student_t_975(40) - 2.021075) < 1e-5);
        QVERIFY(std::abs(student_t_975(60) - 2.000298) < 1e-5);
        QVERIFY(std::abs(student_t_975(120) - 1.979930) < 1e-5);
        QVERIFY(std::abs(student_t_975(1000000) - 1.959964) < 1e-5);
        // Decreasing across the table's edge.
        QVERIFY(student_t_975(31) < student_t_975(30));
        QVERIFY(student_t_975(31) > student_t_975(32));
        QVERIFY_THROWS_EXCEPTION(engine::Error, student_t_975(0));
    }

    void records_group_by_key_and_skip_missing_values() {
        std::vector<EvalRecord> records;
        auto add = [&](std::string policy, int64_t budget, std::string task, double recall, double correct) {
            EvalRecord r;
            r.policy = std::move(policy);
            r.budget = budget;
            r.setting = "cpu";
            r.task = std::move(task);
            r.length = 4096;
            r.recall = recall;
            r.correct = correct;
            records.push_back(r);
        };
        add("snapkv", 256, "niah_single", 0.8, 1);
        add("snapkv", 256, "niah_single", 0.6, 0);
        add("snapkv", 256, "free_summary", 0.7, EvalRecord::kMissing);
        add("h2o", 256, "niah_single", 0.5, 1);
        add("snapkv", 128, "niah_single", 0.4, 0);

        const auto full = summarise_records(records);
        QCOMPARE(full.size(), size_t{4});
        // Sorted by (policy, budget, ...): h2o first, then snapkv 128, snapkv 256 free, snapkv 256 niah.
        QCOMPARE(full[0].policy, std::string("h2o"));
        QCOMPARE(full[1].budget, int64_t{128});
        QCOMPARE(full[3].task, std::string("niah_single"));
        QCOMPARE(full[3].records, size_t{2});
        QVERIFY(std::abs(full[3].metric(EvalMetric::Recall).mean - 0.7) < 1e-12);
        QCOMPARE(full[3].metric(EvalMetric::Correct).mean, 0.5);
        QCOMPARE(full[3].metric(EvalMetric::Dnll).n, size_t{0});

        GroupFields by_policy_budget;
        by_policy_budget.task = false;
        by_policy_budget.length = false;
        const auto merged = summarise_records(records, by_policy_budget);
        QCOMPARE(merged.size(), size_t{3});
        const RecordGroup& snap256 = merged[2];
        QCOMPARE(snap256.records, size_t{3});
        QVERIFY(snap256.task.empty());
        QCOMPARE(snap256.metric(EvalMetric::Recall).n, size_t{3});
        QCOMPARE(snap256.metric(EvalMetric::Correct).n, size_t{2});  // the free-form record has none
        QVERIFY(std::abs(snap256.metric(EvalMetric::Recall).mean - 0.7) < 1e-12);
        // s = 0.1, t(2) = 4.302653: half width = 4.302653 * 0.1 / sqrt(3).
        QVERIFY(std::abs(snap256.metric(EvalMetric::Recall).half_width - 0.248414) < 1e-6);
        QCOMPARE(std::string(eval_metric_name(EvalMetric::KeptBytes)), std::string("kept_bytes"));
    }
};

QTEST_GUILESS_MAIN(EvalMetrics)
#include "test_eval_metrics.moc"
