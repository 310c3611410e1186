// LookaheadKV adapter files: a fresh adapter's starting values, a bit-exact save/load round
// trip, and clear errors for another model's adapter, damaged files and bad metadata; and
// where the adapter of a model file is looked for.

#include "reference/finite_difference.h"
#include "reference/tiny_model.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_parameters.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"

#include "test_support.h"

#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

using engine::LookaheadAdapter;
using engine::LookaheadOptions;
using engine::LoraTarget;
using reference::TinySpec;

using test_support::error_of;

namespace {

std::shared_ptr<const engine::Model> tiny_model(uint64_t seed, int64_t dim = 32) {
    TinySpec s;
    s.dim = dim;
    s.ffn_dim = 64;
    s.head_dim = 8;
    return engine::Model::from_file(engine::GgufFile::parse(reference::write_tiny_model(s, seed), "tiny-" + std::to_string(seed)));
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The same file with some metadata changed (edit calls set) or a tensor left out.
std::vector<uint8_t> rewrite(const std::vector<uint8_t>& bytes, const std::function<void(engine::GgufWriter&)>& edit,
                             const std::string& omit_tensor = {}) {
    const auto file = engine::GgufFile::parse(bytes);
    engine::GgufWriter w;
    for (const auto& [key, value] : file.metadata()) w.set(key, value);
    if (edit) edit(w);
    for (const auto& t : file.tensors())
        if (t.name != omit_tensor) w.add_tensor(t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.size_bytes));
    return w.to_bytes();
}

// An adapter whose every value is random (B included), so a round trip has something to lose.
LookaheadAdapter random_adapter(const engine::Model& model, uint64_t seed, LookaheadOptions options = {.n_tokens = 5, .rank = 3}) {
    auto a = LookaheadAdapter::initialize(model, options, seed);
    std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
    std::normal_distribution<float> normal(0.0f, 0.1f);
    for (auto& layer : a.lora)
        for (auto& m : layer)
            for (float& b : m.b) b = normal(rng);
    return a;
}

}  // namespace

class TestLookaheadAdapter : public QObject {
    Q_OBJECT

private slots:
    void initialize_starts_from_the_base_model() {
        const uint64_t seed = reference::fresh_seed("initialize");
        auto model = tiny_model(seed);
        const auto& c = model->config();
        const auto a = LookaheadAdapter::initialize(*model, {}, seed);
        QCOMPARE(a.options.n_tokens, 32);
        QCOMPARE(a.options.rank, 8);
        QCOMPARE(a.options.targets.size(), size_t(7));
        QCOMPARE(a.options.pool_kernel, 7);
        QCOMPARE(a.options.recent_window, 0);
        QCOMPARE(a.base.fingerprint, model->fingerprint());

        // Every embedding has the mean norm of the token embeddings.
        const auto& table = model->weights().token_embd;
        std::vector<float> row(static_cast<size_t>(c.dim));
        double mean = 0.0;
        for (int64_t r = 0; r < table.rows; ++r) {
            engine::dequantize_row(table.type, table.row(r), row.data(), c.dim);
            double ss = 0.0;
            for (float x : row) ss += double(x) * x;
            mean += std::sqrt(ss) / double(table.rows);
        }
        for (int64_t i = 0; i < a.options.n_tokens; ++i) {
            double ss = 0.0;
            for (int64_t d = 0; d < c.dim; ++d) ss += double(a.embeddings[i * c.dim + d]) * a.embeddings[i * c.dim + d];
            QVERIFY(std::fabs(std::sqrt(ss) - mean) < 1e-4 * mean);
        }
        // A is small and random, B zero: the adapted projections start as the base ones.
        for (int64_t l = 0; l < c.n_layers; ++l)
            for (LoraTarget t : engine::kAllLoraTargets) {
                const auto& m = a.lora[l][engine::lora_index(t)];
                QCOMPARE(int64_t(m.a.size()), a.options.rank * engine::lora_target_in(c, t));
                QCOMPARE(int64_t(m.b.size()), a.options.rank * engine::lora_target_out(c, t));
                const double bound = 1.0 / std::sqrt(double(engine::lora_target_in(c, t)));
                double ss = 0.0;
                for (float x : m.a) {
                    QVERIFY(std::fabs(x) <= bound);
                    ss += double(x) * x;
                }
                QVERIFY(ss > 0.0);
                for (float x : m.b) QCOMPARE(x, 0.0f);
            }
        QVERIFY(LookaheadAdapter::initialize(*model, {}, seed + 1).embeddings != a.embeddings);
        QVERIFY(LookaheadAdapter::initialize(*model, {}, seed) == a);
    }

    void only_listed_projections_are_adapted() {
        auto model = tiny_model(reference::fresh_seed("targets"));
        const auto a = LookaheadAdapter::initialize(*model, {.targets = {LoraTarget::Q, LoraTarget::Down}}, 1);
        QVERIFY(a.targets(LoraTarget::Q) && a.targets(LoraTarget::Down) && !a.targets(LoraTarget::V));
        QVERIFY(!a.lora[0][engine::lora_index(LoraTarget::Q)].a.empty());
        QVERIFY(a.lora[0][engine::lora_index(LoraTarget::V)].a.empty());
        const auto loaded = LookaheadAdapter::from_file(engine::GgufFile::parse(a.to_bytes()), *model);
        QVERIFY(loaded == a);
    }

    void save_and_load_round_trip_is_bit_exact() {
        const uint64_t seed = reference::fresh_seed("round trip");
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        const std::filesystem::path path = dir.filePath("tiny.lookahead.gguf").toStdString();
        const auto a = random_adapter(*model, seed, {.n_tokens = 6, .rank = 4, .alpha = 12.5f, .pool_kernel = 5, .recent_window = 16});
        a.save(path);
        QCOMPARE(read_bytes(path), a.to_bytes());
        const auto b = LookaheadAdapter::load(path, *model);
        QVERIFY(b.base == a.base);
        QVERIFY(b.options == a.options);
        QCOMPARE(std::memcmp(b.embeddings.data(), a.embeddings.data(), a.embeddings.size() * sizeof(float)), 0);
        for (size_t l = 0; l < a.lora.size(); ++l)
            for (size_t t = 0; t < a.lora[l].size(); ++t) {
                QCOMPARE(std::memcmp(b.lora[l][t].a.data(), a.lora[l][t].a.data(), a.lora[l][t].a.size() * 4), 0);
                QCOMPARE(std::memcmp(b.lora[l][t].b.data(), a.lora[l][t].b.data(), a.lora[l][t].b.size() * 4), 0);
            }
        QVERIFY(b == a);
        // The file says what it is.
        const auto file = engine::GgufFile::open(path);
        QCOMPARE(file.get_string("general.type"), std::string("adapter"));
        QCOMPARE(file.get_string("general.architecture"), std::string("llama"));

        // Trainer parameters (double) go back into the adapter rounded to the same floats.
        auto params = engine::LookaheadParameters::from_adapter(a);
        QCOMPARE(params.scale, 12.5 / 4.0);
        auto c = a;
        params.store_into(c);
        QVERIFY(c == a);
    }

    void adapter_of_another_model_names_both_fingerprints() {
        const uint64_t seed = reference::fresh_seed("another model");
        auto mine = tiny_model(seed);
        auto other = tiny_model(seed + 1);
        QVERIFY(mine->fingerprint() != other->fingerprint());
        QTemporaryDir dir;
        const std::filesystem::path path = dir.filePath("mine.lookahead.gguf").toStdString();
        random_adapter(*mine, seed).save(path);
        const QString m = error_of([&] { LookaheadAdapter::load(path, *other); });
        QVERIFY2(m.contains(QString::fromStdString(hex(mine->fingerprint()))), qPrintable(m));
        QVERIFY2(m.contains(QString::fromStdString(hex(other->fingerprint()))), qPrintable(m));
        QVERIFY2(m.contains("mine.lookahead.gguf") && m.contains("another model"), qPrintable(m));
    }

    void truncated_adapter_file_is_an_error() {
        const uint64_t seed = reference::fresh_seed("truncated");
        auto model = tiny_model(seed);
        QTemporaryDir dir;
        const auto bytes = random_adapter(*model, seed).to_bytes();
        std::mt19937_64 rng(seed);
        std::uniform_int_distribution<size_t> cut(1, bytes.size() - 1);
        for (size_t keep : {size_t{0}, size_t{16}, bytes.size() / 3, bytes.size() - 1, cut(rng)}) {
            const std::filesystem::path path = dir.filePath("cut.lookahead.gguf").toStdString();
            write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep)));
            const QString m = error_of([&] { LookaheadAdapter::load(path, *model); });
            qInfo("cut at %zu of %zu: %s", keep, bytes.size(), qPrintable(m));
            QVERIFY2(!m.isEmpty(), qPrintable(QString("a file cut at %1 bytes loaded").arg(keep)));
            QVERIFY2(m.contains("cut.lookahead.gguf"), qPrintable(m));
        }
        const QString missing = error_of([&] { LookaheadAdapter::load(dir.filePath("absent.gguf").toStdString(), *model); });
        QVERIFY2(missing.contains("absent.gguf"), qPrintable(missing));
    }

    void missing_tensor_is_named() {
        auto model = tiny_model(reference::fresh_seed("missing tensor"));
        const auto bytes = rewrite(random_adapter(*model, 3).to_bytes(), {}, "blk.1.lora_down.b");
        const QString m = error_of([&] { LookaheadAdapter::from_file(engine::GgufFile::parse(bytes, "x.gguf"), *model); });
        QVERIFY2(m.contains("blk.1.lora_down.b") && m.contains("missing"), qPrintable(m));
        const auto no_embeddings = rewrite(random_adapter(*model, 3).to_bytes(), {}, "lookahead.embeddings");
        const QString e = error_of([&] { LookaheadAdapter::from_file(engine::GgufFile::parse(no_embeddings), *model); });
        QVERIFY2(e.contains("lookahead.embeddings"), qPrintable(e));
    }

    void bad_metadata_is_named_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not an adapter") << "general.type" << "not an adapter";
        QTest::newRow("another adapter kind") << "adapter.type" << "not a LookaheadKV adapter";
        QTest::newRow("rank zero") << "lookahead.lora.rank" << "rank";
        QTest::newRow("rank not matching the tensors") << "lookahead.lora.rank=4" << "blk.0.lora_q.a";
        QTest::newRow("even pool kernel") << "lookahead.score.pool_kernel" << "pool kernel";
        QTest::newRow("unknown target") << "lookahead.lora.targets" << "unknown LoRA target 'qq'";
        QTest::newRow("other width, same fingerprint") << "lookahead.base.embedding_length" << "embedding width";
        QTest::newRow("missing token count") << "lookahead.token_count" << "lookahead.token_count";
        QTest::newRow("other architecture") << "general.architecture" << "architecture";
    }

    void bad_metadata_is_named() {
        QFETCH(QString, key);
        QFETCH(QString, expected);
        auto model = tiny_model(reference::fresh_seed(QTest::currentDataTag()));
        const auto good = random_adapter(*model, 5).to_bytes();
        std::vector<uint8_t> bytes;
        if (key == "lookahead.token_count") {
            // Left out entirely: rebuild the metadata without it.
            const auto file = engine::GgufFile::parse(good);
            engine::GgufWriter w;
            for (const auto& [k, v] : file.metadata())
                if (k != "lookahead.token_count") w.set(k, v);
            for (const auto& t : file.tensors()) w.add_tensor(t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.size_bytes));
            bytes = w.to_bytes();
        } else {
            bytes = rewrite(good, [&](engine::GgufWriter& w) {
                if (key == "general.type") w.set_string("general.type", "model");
                if (key == "adapter.type") w.set_string("adapter.type", "lora");
                if (key == "lookahead.lora.rank") w.set_u32("lookahead.lora.rank", 0);
                if (key == "lookahead.lora.rank=4") w.set_u32("lookahead.lora.rank", 4);
                if (key == "lookahead.score.pool_kernel") w.set_u32("lookahead.score.pool_kernel", 6);
                if (key == "lookahead.lora.targets") w.set("lookahead.lora.targets", engine::GgufValue::string_array({"q", "qq"}));
                if (key == "lookahead.base.embedding_length") w.set_u32("lookahead.base.embedding_length", 64);
                if (key == "general.architecture") w.set_string("general.architecture", "qwen2");
            });
        }
        const QString m = error_of([&] { LookaheadAdapter::from_file(engine::GgufFile::parse(bytes, "bad.gguf"), *model); });
        QVERIFY2(m.contains(expected), qPrintable(m));
        QVERIFY2(m.contains("bad.gguf"), qPrintable(m));
    }

    void invalid_options_are_refused() {
        auto model = tiny_model(reference::fresh_seed("options"));
        QVERIFY(error_of([&] { LookaheadAdapter::initialize(*model, {.n_tokens = 0}, 1); }).contains("token count"));
        QVERIFY(error_of([&] { LookaheadAdapter::initialize(*model, {.alpha = -1.0f}, 1); }).contains("alpha"));
        QVERIFY(error_of([&] { LookaheadAdapter::initialize(*model, {.targets = {LoraTarget::K, LoraTarget::K}}, 1); })
                    .contains("twice"));
        auto a = LookaheadAdapter::initialize(*model, {.n_tokens = 2, .rank = 1}, 1);
        a.embeddings.pop_back();
        QVERIFY(error_of([&] { a.to_bytes(); }).contains("embeddings"));
    }

    void adapter_is_found_by_the_fingerprint_it_records() {
        auto model = tiny_model(reference::fresh_seed("find-mine"));
        auto other = tiny_model(reference::fresh_seed("find-other"));
        QVERIFY(model->fingerprint() != other->fingerprint());
        const auto fp = model->fingerprint();
        const auto mine = LookaheadAdapter::initialize(*model, {.n_tokens = 2, .rank = 1}, 1);
        const auto theirs = LookaheadAdapter::initialize(*other, {.n_tokens = 2, .rank = 1}, 1);

        QTemporaryDir models, shipped;
        const std::filesystem::path model_path = models.filePath("model.gguf").toStdString();
        const std::filesystem::path res = shipped.path().toStdString();
        QCOMPARE(engine::adapter_file_name(model_path), std::string("model.lookahead.gguf"));
        QVERIFY(!engine::find_adapter_for(model_path, fp, {res}).has_value());
        QCOMPARE(engine::adapter_search_dirs(model_path, {res}),
                 (std::vector<std::filesystem::path>{model_path.parent_path(), res}));

        // Named for the model but made for another, a damaged file and a file that is no
        // adapter: none of them is taken.
        theirs.save(model_path.parent_path() / "model.lookahead.gguf");
        write_bytes(model_path.parent_path() / "a.lookahead.gguf", {1, 2, 3});
        write_bytes(res / "b.lookahead.gguf", reference::write_tiny_model(TinySpec{}, 1));
        QVERIFY(!engine::adapter_base_fingerprint(model_path.parent_path() / "a.lookahead.gguf").has_value());
        QCOMPARE(engine::adapter_base_fingerprint(model_path.parent_path() / "model.lookahead.gguf").value(),
                 other->fingerprint());
        QVERIFY(!engine::find_adapter_for(model_path, fp, {res}).has_value());

        // The one shipped elsewhere under any name is found by its fingerprint.
        const auto shipped_file = res / "SmolLM2-135M-Instruct.Q4_1.lookahead.gguf";
        mine.save(shipped_file);
        QCOMPARE(engine::find_adapter_for(model_path, fp, {res}).value(), shipped_file);
        QVERIFY(!engine::find_adapter_for(model_path, fp).has_value());
        QCOMPARE(engine::find_adapter_for(model_path, other->fingerprint(), {res}).value(),
                 model_path.parent_path() / "model.lookahead.gguf");

        // Beside the model wins over the shipped folder, and the model's own name wins there.
        const auto beside = model_path.parent_path() / "c.lookahead.gguf";
        mine.save(beside);
        QCOMPARE(engine::find_adapter_for(model_path, fp, {res}).value(), beside);
        const auto named = model_path.parent_path() / "model.lookahead.gguf";
        mine.save(named);
        write_bytes(model_path.parent_path() / "0.lookahead.gguf", mine.to_bytes());
        QCOMPARE(engine::find_adapter_for(model_path, fp, {res}).value(), named);
    }
};

QTEST_GUILESS_MAIN(TestLookaheadAdapter)
#include "test_lookahead_adapter.moc"
