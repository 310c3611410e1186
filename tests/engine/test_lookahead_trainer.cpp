// The LookaheadKV trainer on a tiny random model with sample files written by the test:
// the loss falls over 20 steps on one repeated sample; training N steps straight leaves
// exactly the parameters of N/2 steps, a checkpoint, a resume and N/2 more; the batch's
// threads do not change the result; validation reports the training loss without a step;
// a missing data directory or another model's sample is a clear error.

#include "reference/finite_difference.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/lookahead/lookahead_pass.h"
#include "engine/lookahead/prompt_cache_file.h"
#include "engine/lookahead/trainer.h"
#include "engine/lookahead/training_checkpoint.h"
#include "engine/lookahead/training_sample.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"
#include "engine/session/compressed_cache.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cmath>
#include <random>
#include <set>

namespace la = engine::lookahead;

namespace {

reference::TinySpec spec() {
    reference::TinySpec s;
    s.n_layers = 2;
    s.dim = 32;
    s.ffn_dim = 64;
    s.n_heads = 4;
    s.n_kv_heads = 2;
    s.head_dim = 8;
    return s;
}

// A sample whose target puts most of each head's mass on a few prompt tokens, as real
// answers do.
la::TrainingSample random_sample(std::mt19937_64& rng, const engine::Model& model, int64_t n_prompt) {
    const auto& c = model.config();
    la::TrainingSample s;
    s.source = "test";
    s.instruction = "qa";
    s.seed = rng();
    s.model_fingerprint = model.fingerprint();
    s.n_layers = c.n_layers;
    s.n_kv_heads = c.n_kv_heads;
    std::uniform_int_distribution<int32_t> token(4, static_cast<int32_t>(spec().vocab - 1));
    for (int64_t i = 0; i < n_prompt; ++i) s.prompt.push_back(token(rng));
    s.response = {token(rng), token(rng)};
    std::normal_distribution<double> normal(0.0, 2.0);
    for (int64_t lh = 0; lh < c.n_layers * c.n_kv_heads; ++lh) {
        std::vector<double> row(static_cast<size_t>(n_prompt));
        double sum = 0.0;
        for (double& x : row) sum += x = std::exp(normal(rng));
        for (double x : row) s.target.push_back(engine::fp32_to_fp16(static_cast<float>(x / sum)));
    }
    return s;
}

void write_samples(std::mt19937_64& rng, const engine::Model& model, const QString& dir, int n, int64_t n_prompt) {
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i)
        la::write_training_sample(random_sample(rng, model, n_prompt),
                                  (dir + QString("/sample-%1.gguf").arg(i, 4, 10, QChar('0'))).toStdString());
}

la::TrainerOptions options_for(const QTemporaryDir& dir, int64_t steps) {
    la::TrainerOptions o;
    o.data_dir = (dir.path() + "/train").toStdString();
    o.out = (dir.path() + "/adapter.gguf").toStdString();
    o.lookahead = {.n_tokens = 4, .rank = 2, .alpha = 2.0f};
    o.adamw = {.lr = 0.02, .warmup_steps = 2};
    o.steps = steps;
    o.batch = 2;
    o.threads = 2;
    o.seed = 7;
    return o;
}

bool same_parameters(const engine::LookaheadParameters& a, const engine::LookaheadParameters& b) {
    std::vector<std::vector<double>> fa, fb;
    la::for_each_tensor(a, [&](const std::vector<double>& v, bool) { fa.push_back(v); });
    la::for_each_tensor(b, [&](const std::vector<double>& v, bool) { fb.push_back(v); });
    return fa == fb;
}

std::shared_ptr<const engine::Model> tiny_model(uint64_t seed) {
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(spec(), seed), "tiny"));
}

}  // namespace

class TestLookaheadTrainer : public QObject {
    Q_OBJECT

private slots:
    void loss_falls_on_one_repeated_sample() {
        const uint64_t seed = reference::fresh_seed("trainer loss");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        write_samples(rng, *model, dir.path() + "/train", 1, 24);
        auto o = options_for(dir, 20);
        o.adamw.lr = 0.05;
        la::LookaheadTrainer trainer(model, o);
        std::vector<double> losses;
        while (!trainer.done()) {
            const auto r = trainer.train_step();
            QCOMPARE(r.samples.size(), size_t{2});
            QCOMPARE(r.prompt_tokens, int64_t{48});
            losses.push_back(r.loss);
        }
        qInfo("seed %llu: loss %.4f -> %.4f", static_cast<unsigned long long>(seed), losses.front(), losses.back());
        QVERIFY(losses.front() > 0.0);
        QVERIFY2(losses.back() < 0.7 * losses.front(), qPrintable(QString("%1 -> %2").arg(losses.front()).arg(losses.back())));
    }

    void resuming_continues_exactly() {
        const uint64_t seed = reference::fresh_seed("trainer resume");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        QTemporaryDir straight_dir, split_dir;
        for (const auto* d : {&straight_dir, &split_dir}) {
            std::mt19937_64 same(seed);
            write_samples(same, *model, d->path() + "/train", 3, 16);
        }
        la::LookaheadTrainer straight(model, options_for(straight_dir, 6));
        while (!straight.done()) straight.train_step();

        {
            auto o = options_for(split_dir, 6);
            la::LookaheadTrainer first(model, o);
            for (int i = 0; i < 3; ++i) first.train_step();
            first.save_checkpoint();
        }
        auto o = options_for(split_dir, 6);
        o.resume = true;
        o.seed = 12345;   // the checkpoint's seed wins: the data order continues
        la::LookaheadTrainer resumed(model, o);
        QCOMPARE(resumed.step(), int64_t{3});
        while (!resumed.done()) resumed.train_step();
        QVERIFY(same_parameters(straight.parameters(), resumed.parameters()));
        QVERIFY(straight.adapter() == resumed.adapter());
    }

    void batch_threads_do_not_change_the_result() {
        const uint64_t seed = reference::fresh_seed("trainer threads");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        write_samples(rng, *model, dir.path() + "/train", 4, 12);
        auto one = options_for(dir, 3);
        one.threads = 1;
        auto two = options_for(dir, 3);
        la::LookaheadTrainer a(model, one), b(model, two);
        while (!a.done()) QCOMPARE(a.train_step().loss, b.train_step().loss);
        QVERIFY(same_parameters(a.parameters(), b.parameters()));
    }

    void prompt_caches_beside_the_samples_give_the_same_steps() {
        const uint64_t seed = reference::fresh_seed("trainer prompt caches");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        write_samples(rng, *model, dir.path() + "/train", 2, 14);
        const QString cache0 = dir.path() + "/train/sample-0000.kv";
        QVERIFY(!QFile::exists(cache0));

        std::vector<double> prefilled, cached, repaired;
        {
            la::LookaheadTrainer t(model, options_for(dir, 2));   // prefills and keeps the caches
            while (!t.done()) prefilled.push_back(t.train_step().loss);
        }
        QVERIFY(QFile::exists(cache0));
        {
            la::LookaheadTrainer t(model, options_for(dir, 2));   // reads them
            while (!t.done()) cached.push_back(t.train_step().loss);
        }
        QFile damaged(cache0);
        QVERIFY(damaged.open(QIODevice::WriteOnly | QIODevice::Truncate));
        damaged.write("not a cache");
        damaged.close();
        {
            la::LookaheadTrainer t(model, options_for(dir, 2));   // a damaged one is made again
            while (!t.done()) repaired.push_back(t.train_step().loss);
        }
        QCOMPARE(cached, prefilled);
        QCOMPARE(repaired, prefilled);
        QVERIFY(QFileInfo(cache0).size() > 1000);
        // Kept at f16 by default, and read back as f32.
        QFile kept(cache0);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        const QByteArray bytes = kept.readAll();
        const auto stored = engine::CompressedCache::deserialize(
            std::span(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<size_t>(bytes.size())), model->fingerprint());
        QCOMPARE(stored.kv_type(), engine::GgmlType::F16);
        const auto sample = la::read_training_sample((dir.path() + "/train/sample-0000.gguf").toStdString());
        const auto loaded = la::load_prompt_cache(cache0.toStdString(), *model, sample.prompt);
        QVERIFY(loaded && loaded->kv_type() == engine::GgmlType::F32);
        QVERIFY(*loaded == stored.with_kv_type(engine::GgmlType::F32));

        // No type: nothing is written beside the samples.
        QTemporaryDir bare;
        write_samples(rng, *model, bare.path() + "/train", 2, 14);
        auto o = options_for(bare, 1);
        o.prompt_cache = std::nullopt;
        la::LookaheadTrainer t(model, o);
        t.train_step();
        QVERIFY(!QFile::exists(bare.path() + "/train/sample-0000.kv"));
        QCOMPARE(la::parse_prompt_cache_type("none"), std::optional<engine::GgmlType>{});
        QCOMPARE(la::parse_prompt_cache_type("q8_0"), std::optional<engine::GgmlType>{engine::GgmlType::Q8_0});
        QVERIFY_THROWS_EXCEPTION(engine::Error, la::parse_prompt_cache_type("bf16"));
    }

    void validation_reports_the_loss_without_a_step() {
        const uint64_t seed = reference::fresh_seed("trainer validation");
        std::mt19937_64 rng(seed);
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        write_samples(rng, *model, dir.path() + "/train", 1, 20);
        write_samples(rng, *model, dir.path() + "/train-copy", 1, 20);
        QFile::remove(dir.path() + "/train-copy/sample-0000.gguf");
        QVERIFY(QFile::copy(dir.path() + "/train/sample-0000.gguf", dir.path() + "/train-copy/sample-0000.gguf"));
        auto o = options_for(dir, 5);
        o.batch = 1;
        o.validation_dir = (dir.path() + "/train-copy").toStdString();
        la::LookaheadTrainer trainer(model, o);
        QVERIFY(trainer.has_validation());
        const auto before = trainer.parameters();
        const auto v = trainer.validate();
        QVERIFY(same_parameters(before, trainer.parameters()));
        QCOMPARE(v.samples, int64_t{1});
        // The same sample's training loss, from the loss-and-gradient pass.
        const auto r = trainer.train_step();
        QVERIFY2(std::fabs(v.loss - r.loss) < 1e-12 * r.loss, qPrintable(QString("%1 vs %2").arg(v.loss).arg(r.loss)));
    }

    void checkpoint_holds_the_adapter_and_state() {
        std::mt19937_64 rng(3);
        auto model = tiny_model(3);
        QTemporaryDir dir;
        write_samples(rng, *model, dir.path() + "/train", 2, 10);
        const auto o = options_for(dir, 2);
        la::LookaheadTrainer trainer(model, o);
        trainer.train_step();
        trainer.save_checkpoint();
        const auto adapter = engine::LookaheadAdapter::load(o.out, *model);
        QVERIFY(adapter == trainer.adapter());
        const auto state = la::read_training_checkpoint(la::checkpoint_path_for(o.out), trainer.parameters());
        QCOMPARE(state.step, int64_t{1});
        QCOMPARE(state.position, int64_t{2});
        QVERIFY(same_parameters(state.params, trainer.parameters()));
    }

    void epoch_orders_are_seeded_permutations() {
        const auto a = la::epoch_order(5, 0, 50), b = la::epoch_order(5, 1, 50);
        QCOMPARE(std::set<int64_t>(a.begin(), a.end()).size(), size_t{50});
        QCOMPARE(*std::max_element(a.begin(), a.end()), int64_t{49});
        QVERIFY(a != b);
        QVERIFY(a == la::epoch_order(5, 0, 50));
        QVERIFY(a != la::epoch_order(6, 0, 50));
    }

    void missing_data_directory_is_a_clear_error() {
        auto model = tiny_model(1);
        QTemporaryDir dir;
        auto o = options_for(dir, 2);
        try {
            la::LookaheadTrainer trainer(model, o);
            QFAIL("no error for a missing data directory");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(o.data_dir.string())), e.what());
        }
    }

    void another_models_sample_is_a_clear_error() {
        std::mt19937_64 rng(2);
        auto model = tiny_model(1);
        auto other = tiny_model(2);
        QTemporaryDir dir;
        write_samples(rng, *other, dir.path() + "/train", 1, 10);
        la::LookaheadTrainer trainer(model, options_for(dir, 2));
        try {
            trainer.train_step();
            QFAIL("no error for another model's sample");
        } catch (const engine::Error& e) {
            QVERIFY2(QString(e.what()).contains("another model"), e.what());
            QVERIFY2(QString(e.what()).contains("sample-0000.gguf"), e.what());
        }
        QCOMPARE(trainer.step(), int64_t{0});
    }
};

QTEST_GUILESS_MAIN(TestLookaheadTrainer)
#include "test_lookahead_trainer.moc"
