// `glimpse-cli bench --kernels`: every kernel set this CPU has is timed on each attention
// kernel, with positive times, and the JSON names the set in use.

#include "engine/cpu/dot_kernels.h"
#include "test_support.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest/QtTest>

class TestCliBenchKernels : public QObject {
    Q_OBJECT

private slots:
    void every_kernel_set_is_timed() {
        QProcess p;
        p.start(QString::fromStdString(test_support::cli_path().string()), {"bench", "--kernels", "--json"});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject out = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        QCOMPARE(out["chosen"].toString(), QString(engine::cpu::dot_kernels().name));
        QSet<QString> sets, kernels;
        for (const auto& row : out["kernels"].toArray()) {
            const QJsonObject r = row.toObject();
            QVERIFY(r["microseconds"].toDouble() > 0.0);
            sets.insert(r["set"].toString());
            kernels.insert(r["kernel"].toString());
        }
        QCOMPARE(kernels, (QSet<QString>{"f32_scores_t", "f32_dots", "exp_terms", "weighted_sum"}));
        QVERIFY(sets.contains("portable"));
        QCOMPARE(sets.contains("avx2"), engine::cpu::avx2_dot_kernels() != nullptr);
        QCOMPARE(sets.contains("avx512"), engine::cpu::avx512_dot_kernels() != nullptr);
    }
};

QTEST_GUILESS_MAIN(TestCliBenchKernels)
#include "test_cli_bench_kernels.moc"
