// `glimpse-cli train-lookahead` end to end on a tiny random model and sample files written
// here: it trains, logs every step to CSV, validates, draws the loss plot and writes an
// adapter that loads for the model; --resume carries on to more steps and keeps one log
// row per step; a missing data folder or an unknown target is a one-line error.

#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/training_checkpoint.h"
#include "engine/lookahead/training_sample.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"
#include "engine/reference/tiny_model.h"
#include "test_support.h"

#include <QImage>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <fstream>
#include <random>

namespace la = engine::lookahead;

namespace {

struct Run {
    int code = -1;
    QString out, err;
};

Run cli(const QStringList& args) {
    QProcess p;
    p.start(QString::fromStdString(test_support::cli_path().string()), args);
    Run r;
    if (!p.waitForFinished(300000)) return r;
    r.code = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

void write_samples(std::mt19937_64& rng, const engine::Model& model, const QString& dir, int n, int64_t n_prompt) {
    const auto& c = model.config();
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i) {
        la::TrainingSample s;
        s.source = "test";
        s.instruction = "qa";
        s.model_fingerprint = model.fingerprint();
        s.n_layers = c.n_layers;
        s.n_kv_heads = c.n_kv_heads;
        std::uniform_int_distribution<int32_t> token(4, 90);
        for (int64_t t = 0; t < n_prompt; ++t) s.prompt.push_back(token(rng));
        s.response = {token(rng)};
        std::normal_distribution<double> normal(0.0, 2.0);
        for (int64_t lh = 0; lh < c.n_layers * c.n_kv_heads; ++lh) {
            std::vector<double> row(static_cast<size_t>(n_prompt));
            double sum = 0.0;
            for (double& x : row) sum += x = std::exp(normal(rng));
            for (double x : row) s.target.push_back(engine::fp32_to_fp16(static_cast<float>(x / sum)));
        }
        la::write_training_sample(s, (dir + QString("/sample-%1.gguf").arg(i, 4, 10, QChar('0'))).toStdString());
    }
}

QStringList lines_of(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

}  // namespace

class TestCliTrainLookahead : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString model_path_;
    std::shared_ptr<const engine::Model> model_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        reference::TinySpec spec;
        spec.dim = 32;
        spec.ffn_dim = 64;
        spec.head_dim = 8;
        const auto bytes = reference::write_tiny_model(spec, 11);
        model_path_ = dir_.filePath("tiny.gguf");
        std::ofstream(model_path_.toStdString(), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        model_ = engine::Model::from_file(engine::GgufFile::open(model_path_.toStdString()));
        std::mt19937_64 rng(5);
        write_samples(rng, *model_, dir_.filePath("train"), 3, 12);
        write_samples(rng, *model_, dir_.filePath("valid"), 2, 12);
    }

    void trains_logs_plots_and_resumes() {
        const QString out = dir_.filePath("adapter.gguf"), log = dir_.filePath("log.csv"),
                      plot = dir_.filePath("loss.png");
        const QStringList common{"train-lookahead", "--model", model_path_, "--data", dir_.filePath("train"),
                                 "--validation-data", dir_.filePath("valid"), "--out", out, "--log", log,
                                 "--plot", plot, "--lookahead-tokens", "4", "--rank", "2", "--lr", "0.01",
                                 "--warmup", "1", "--checkpoint-every", "2", "--batch", "2", "--threads", "2"};
        Run first = cli(common + QStringList{"--steps", "4"});
        QVERIFY2(first.code == 0, qPrintable(first.err));
        QVERIFY2(first.out.contains("after 4 steps"), qPrintable(first.out));
        QVERIFY2(first.err.contains("step 4/4"), qPrintable(first.err));
        QStringList rows = lines_of(log);
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows[0], QString("step,loss,lr,samples,prompt_tokens,seconds"));
        QVERIFY(rows[1].startsWith("1,"));
        QVERIFY2(rows[1].contains(";sample-"), qPrintable(rows[1]));
        QVERIFY(rows[1].contains(",24,"));   // two prompts of 12 tokens
        // Validation at the start, at step 2 and at the end.
        QCOMPARE(lines_of(dir_.filePath("log.validation.csv")).size(), 4);
        QImage image(plot);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 100);
        const auto adapter = engine::LookaheadAdapter::load(out.toStdString(), *model_);
        QCOMPARE(adapter.options.n_tokens, int64_t{4});
        QCOMPARE(adapter.options.rank, int64_t{2});

        Run resumed = cli(common + QStringList{"--steps", "6", "--resume"});
        QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
        QVERIFY2(resumed.err.contains("resuming after step 4"), qPrintable(resumed.err));
        rows = lines_of(log);
        QCOMPARE(rows.size(), 7);
        QVERIFY(rows[5].startsWith("5,"));
        QVERIFY(rows[6].startsWith("6,"));
        const auto state = la::read_training_checkpoint(la::checkpoint_path_for(out.toStdString()),
                                                        engine::LookaheadParameters::from_adapter(adapter));
        QCOMPARE(state.step, int64_t{6});
        QCOMPARE(lines_of(dir_.filePath("log.validation.csv")).size(), 5);   // and at step 6

        // A finished run resumed again trains and validates nothing; it only redraws the plot.
        QVERIFY(QFile::remove(plot));
        Run again = cli(common + QStringList{"--steps", "6", "--resume"});
        QVERIFY2(again.code == 0, qPrintable(again.err));
        QCOMPARE(lines_of(log).size(), 7);
        QCOMPARE(lines_of(dir_.filePath("log.validation.csv")).size(), 5);
        QVERIFY(!QImage(plot).isNull());
    }

    void missing_data_folder_is_a_clear_error() {
        Run r = cli({"train-lookahead", "--model", model_path_, "--data", dir_.filePath("nowhere"), "--out",
                     dir_.filePath("x.gguf"), "--steps", "2"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("error") && r.err.contains("nowhere"), qPrintable(r.err));
        QVERIFY(!QFile::exists(dir_.filePath("x.gguf")));
    }

    void unknown_target_is_a_clear_error() {
        Run r = cli({"train-lookahead", "--model", model_path_, "--data", dir_.filePath("train"), "--out",
                     dir_.filePath("y.gguf"), "--targets", "q,bogus"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("bogus"), qPrintable(r.err));
    }

    void resume_without_a_checkpoint_is_a_clear_error() {
        Run r = cli({"train-lookahead", "--model", model_path_, "--data", dir_.filePath("train"), "--out",
                     dir_.filePath("none.gguf"), "--resume"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("none.gguf"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliTrainLookahead)
#include "test_cli_train_lookahead.moc"
