// LookaheadKV training sample files: a bit-exact round trip, the per-layer target view, the
// directory listing, and clear errors for damaged, truncated and wrong-typed files.

#include "reference/finite_difference.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/lookahead/training_sample.h"
#include "engine/quant/quantize.h"

#include "test_support.h"

#include <QtTest/QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>

using engine::lookahead::TrainingSample;

using test_support::error_of;

namespace {

// A sample with random tokens and random attention rows (each normalised in double, then
// stored as f16), so a round trip has something to lose.
TrainingSample random_sample(uint64_t seed, int64_t n_layers = 3, int64_t n_kv_heads = 2, int64_t n_prompt = 37) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int32_t> token(0, 49151);
    std::exponential_distribution<double> weight(1.0);
    TrainingSample s;
    s.source = "doc:usr/share/doc/example/README";
    s.instruction = "summarise";
    s.seed = rng();
    s.model_fingerprint = rng();
    s.n_layers = n_layers;
    s.n_kv_heads = n_kv_heads;
    for (int64_t i = 0; i < n_prompt; ++i) s.prompt.push_back(token(rng));
    for (int i = 0; i < 9; ++i) s.response.push_back(token(rng));
    for (int64_t row = 0; row < n_layers * n_kv_heads; ++row) {
        std::vector<double> w(static_cast<size_t>(n_prompt));
        double sum = 0.0;
        for (double& x : w) sum += x = weight(rng);
        for (double x : w) s.target.push_back(engine::fp32_to_fp16(static_cast<float>(x / sum)));
    }
    return s;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The same file with some metadata changed, or one tensor replaced by `replacement`.
struct TensorReplacement {
    std::string name;
    engine::GgmlType type = engine::GgmlType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
};
std::vector<uint8_t> rewrite(const std::filesystem::path& path, const std::function<void(engine::GgufWriter&)>& edit,
                             const TensorReplacement* replacement = nullptr, bool omit = false) {
    const auto file = engine::GgufFile::parse(read_bytes(path));
    engine::GgufWriter w;
    for (const auto& [key, value] : file.metadata()) w.set(key, value);
    if (edit) edit(w);
    for (const auto& t : file.tensors()) {
        if (replacement && t.name == replacement->name) {
            if (!omit) w.add_tensor(t.name, replacement->type, replacement->shape, replacement->data);
            continue;
        }
        w.add_tensor(t.name, t.type, t.shape, std::vector<uint8_t>(t.data, t.data + t.size_bytes));
    }
    return w.to_bytes();
}

}  // namespace

class TestTrainingSample : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::filesystem::path path(const char* name) const { return std::filesystem::path(dir_.path().toStdString()) / name; }

    // Writes a damaged copy of a good sample and returns the error reading it gives.
    QString error_reading(const std::vector<uint8_t>& bytes, const char* name) {
        write_bytes(path(name), bytes);
        return error_of([&] { engine::lookahead::read_training_sample(path(name)); });
    }

private slots:
    void round_trip_is_bit_exact() {
        const auto s = random_sample(reference::fresh_seed("round trip"));
        engine::lookahead::write_training_sample(s, path("sample-000000.gguf"));
        QVERIFY(!std::filesystem::exists(path("sample-000000.gguf.partial")));
        const auto r = engine::lookahead::read_training_sample(path("sample-000000.gguf"));
        QCOMPARE(r.source, s.source);
        QCOMPARE(r.instruction, s.instruction);
        QCOMPARE(r.seed, s.seed);
        QCOMPARE(r.model_fingerprint, s.model_fingerprint);
        QCOMPARE(r.n_layers, s.n_layers);
        QCOMPARE(r.n_kv_heads, s.n_kv_heads);
        QVERIFY(r.prompt == s.prompt);
        QVERIFY(r.response == s.response);
        QVERIFY(r.target == s.target);
    }

    void context_only_sample_keeps_its_question() {
        auto s = random_sample(reference::fresh_seed("context-only"));
        QVERIFY(!s.context_only());
        s.question = {17, 4, 99, 3};
        engine::lookahead::write_training_sample(s, path("context-only.gguf"));
        const auto r = engine::lookahead::read_training_sample(path("context-only.gguf"));
        QVERIFY(r.context_only());
        QVERIFY(r.question == s.question);
        QVERIFY(r.prompt == s.prompt);   // the target still covers the prompt alone
        QVERIFY(r.target == s.target);
        QCOMPARE(engine::GgufFile::open(path("context-only.gguf")).tensor("question.tokens").shape, std::vector<int64_t>{4});
        QCOMPARE(r.turns, int64_t{1});
        QVERIFY(!engine::GgufFile::open(path("context-only.gguf")).has("lookahead_data.turns"));
        // A conversation records how many questions it asked; it needs its question part.
        s.turns = 3;
        engine::lookahead::write_training_sample(s, path("three-turns.gguf"));
        QCOMPARE(engine::lookahead::read_training_sample(path("three-turns.gguf")).turns, int64_t{3});
        auto no_question = s;
        no_question.question.clear();
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(no_question, path("bad.gguf")); })
                    .contains("3 turns but no question tokens"));
        s.turns = 1;
        // A windowed sample says so; without tokens after its prompt it is refused.
        QVERIFY(!r.windowed);
        QVERIFY(!engine::GgufFile::open(path("context-only.gguf")).has("lookahead_data.windowed"));
        s.windowed = true;
        engine::lookahead::write_training_sample(s, path("windowed.gguf"));
        QVERIFY(engine::lookahead::read_training_sample(path("windowed.gguf")).windowed);
        QVERIFY(engine::GgufFile::open(path("windowed.gguf")).get_bool("lookahead_data.windowed"));
        no_question = s;
        no_question.question.clear();
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(no_question, path("bad.gguf")); })
                    .contains("windowed, but no tokens after the prompt"));
        s.windowed = false;
        s.question[1] = -2;
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(s, path("bad.gguf")); })
                    .contains("question token id -2 is negative"));
    }

    void file_layout_is_the_documented_one() {
        const auto s = random_sample(reference::fresh_seed("layout"), 4, 3, 11);
        engine::lookahead::write_training_sample(s, path("layout.gguf"));
        const auto file = engine::GgufFile::open(path("layout.gguf"));
        QCOMPARE(file.get_string("general.type"), std::string("lookahead-data"));
        QCOMPARE(file.tensor("prompt.tokens").type, engine::GgmlType::I32);
        QCOMPARE(file.tensor("response.tokens").type, engine::GgmlType::I32);
        QVERIFY(!file.find_tensor("question.tokens"));   // question-aware: the question is in the prompt
        const auto& t = file.tensor("target.attention");
        QCOMPARE(t.type, engine::GgmlType::F16);
        QVERIFY((t.shape == std::vector<int64_t>{11, 3, 4}));
        // ne[0] is the prompt position: element (layer 2, head 1, token 5) sits at ((2*3)+1)*11+5.
        uint16_t bits = 0;
        std::memcpy(&bits, t.data + 2 * (((2 * 3) + 1) * 11 + 5), 2);
        QCOMPARE(bits, s.target[((2 * 3) + 1) * 11 + 5]);
    }

    void target_of_layer_is_the_renormalised_rows() {
        const auto s = random_sample(reference::fresh_seed("target_of_layer"), 3, 2, 29);
        for (int64_t layer = 0; layer < s.n_layers; ++layer) {
            const auto rows = s.target_of_layer(layer);
            QCOMPARE(rows.size(), size_t(2 * 29));
            for (int64_t h = 0; h < 2; ++h) {
                double reference_sum = 0.0, sum = 0.0;
                for (int64_t p = 0; p < 29; ++p) reference_sum += engine::fp16_to_fp32(s.target[(layer * 2 + h) * 29 + p]);
                for (int64_t p = 0; p < 29; ++p) {
                    const double expected = engine::fp16_to_fp32(s.target[(layer * 2 + h) * 29 + p]) / reference_sum;
                    QVERIFY(std::abs(rows[h * 29 + p] - expected) < 1e-15);
                    sum += rows[h * 29 + p];
                }
                QVERIFY(std::abs(sum - 1.0) < 1e-12);
            }
        }
        QVERIFY(error_of([&] { s.target_of_layer(3); }).contains("layer 3 is out of range"));
        QVERIFY(error_of([&] { s.target_of_layer(-1); }).contains("out of range"));
    }

    void writer_refuses_inconsistent_samples() {
        auto s = random_sample(reference::fresh_seed("writer"));
        s.target.pop_back();
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(s, path("bad.gguf")); }).contains("target holds"));
        QVERIFY(!std::filesystem::exists(path("bad.gguf")));
        s = random_sample(1);
        s.response.clear();
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(s, path("bad.gguf")); }).contains("response is empty"));
        s = random_sample(2);
        s.target[5] = engine::fp32_to_fp16(0.9f);
        QVERIFY(error_of([&] { engine::lookahead::write_training_sample(s, path("bad.gguf")); }).contains("sums to"));
    }

    void damaged_files_give_clear_errors() {
        const auto s = random_sample(reference::fresh_seed("damaged"));
        const auto good = path("good.gguf");
        engine::lookahead::write_training_sample(s, good);
        const auto bytes = read_bytes(good);

        // Truncated: the GGUF reader names the file.
        QString e = error_reading({bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2)}, "truncated.gguf");
        QVERIFY2(e.contains("truncated.gguf"), qPrintable(e));
        e = error_reading({bytes.begin(), bytes.begin() + 10}, "short.gguf");
        QVERIFY2(e.contains("short.gguf"), qPrintable(e));

        // Not a training sample at all.
        e = error_reading(rewrite(good, [](engine::GgufWriter& w) { w.set_string("general.type", "adapter"); }), "adapter.gguf");
        QVERIFY2(e.contains("adapter.gguf") && e.contains("not a LookaheadKV training sample"), qPrintable(e));

        // Counts that disagree with the tensors.
        e = error_reading(rewrite(good, [](engine::GgufWriter& w) { w.set_u32("lookahead_data.prompt_length", 36); }), "count.gguf");
        QVERIFY2(e.contains("count.gguf") && e.contains("prompt_length"), qPrintable(e));
        e = error_reading(rewrite(good, [](engine::GgufWriter& w) { w.set_u32("lookahead_data.block_count", 0); }), "zero.gguf");
        QVERIFY2(e.contains("zero.gguf") && e.contains("out of range"), qPrintable(e));

        // Metadata of the wrong type.
        e = error_reading(rewrite(good, [](engine::GgufWriter& w) { w.set_u32("lookahead_data.source", 7); }), "meta.gguf");
        QVERIFY2(e.contains("meta.gguf") && e.contains("lookahead_data.source"), qPrintable(e));

        // A tensor of the wrong type, the wrong shape, or missing.
        std::vector<float> f32_target(s.target.size(), 1.0f / 37.0f);
        std::vector<uint8_t> f32_bytes(f32_target.size() * 4);
        std::memcpy(f32_bytes.data(), f32_target.data(), f32_bytes.size());
        TensorReplacement as_f32{"target.attention", engine::GgmlType::F32, {37, 2, 3}, f32_bytes};
        e = error_reading(rewrite(good, {}, &as_f32), "f32.gguf");
        QVERIFY2(e.contains("f32.gguf") && e.contains("target.attention is F32, expected F16"), qPrintable(e));

        std::vector<uint8_t> f16_bytes(s.target.size() * 2);
        std::memcpy(f16_bytes.data(), s.target.data(), f16_bytes.size());
        TensorReplacement transposed{"target.attention", engine::GgmlType::F16, {37, 3, 2}, f16_bytes};
        e = error_reading(rewrite(good, {}, &transposed), "shape.gguf");
        QVERIFY2(e.contains("shape.gguf") && e.contains("has shape [37, 3, 2], expected [37, 2, 3]"), qPrintable(e));

        TensorReplacement missing{"response.tokens", engine::GgmlType::F32, {}, {}};
        e = error_reading(rewrite(good, {}, &missing, true), "missing.gguf");
        QVERIFY2(e.contains("missing.gguf") && e.contains("response.tokens is missing"), qPrintable(e));

        // Targets that are not distributions.
        auto negative = s.target;
        negative[3] = engine::fp32_to_fp16(-0.01f);
        std::memcpy(f16_bytes.data(), negative.data(), f16_bytes.size());
        TensorReplacement with_negative{"target.attention", engine::GgmlType::F16, {37, 2, 3}, f16_bytes};
        e = error_reading(rewrite(good, {}, &with_negative), "negative.gguf");
        QVERIFY2(e.contains("negative.gguf") && e.contains("non-negative"), qPrintable(e));

        auto nan = s.target;
        nan[40] = 0x7e00;   // f16 NaN
        std::memcpy(f16_bytes.data(), nan.data(), f16_bytes.size());
        TensorReplacement with_nan{"target.attention", engine::GgmlType::F16, {37, 2, 3}, f16_bytes};
        e = error_reading(rewrite(good, {}, &with_nan), "nan.gguf");
        QVERIFY2(e.contains("nan.gguf") && e.contains("layer 0, KV head 1, token 3"), qPrintable(e));
    }

    void listing_finds_samples_in_name_order() {
        QTemporaryDir samples;
        const std::filesystem::path d = samples.path().toStdString();
        QVERIFY(error_of([&] { engine::lookahead::list_training_samples(d / "absent"); }).contains("does not exist"));
        QVERIFY(error_of([&] { engine::lookahead::list_training_samples(d); }).contains("holds no training samples"));
        const auto s = random_sample(reference::fresh_seed("listing"));
        for (const char* name : {"sample-000002.gguf", "sample-000000.gguf", "sample-000001.gguf"})
            engine::lookahead::write_training_sample(s, d / name);
        write_bytes(d / "sample-000003.gguf.partial", {1, 2, 3});
        write_bytes(d / "notes.txt", {1});
        const auto files = engine::lookahead::list_training_samples(d);
        QCOMPARE(files.size(), size_t(3));
        QCOMPARE(files[0].filename().string(), std::string("sample-000000.gguf"));
        QCOMPARE(files[2].filename().string(), std::string("sample-000002.gguf"));
    }
};

QTEST_GUILESS_MAIN(TestTrainingSample)
#include "test_training_sample.moc"
