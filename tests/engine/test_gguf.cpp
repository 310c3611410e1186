// GGUF reader and writer: what the writer writes, the reader reads back exactly.

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_bytes.h"

#include <QtTest/QtTest>

#include <filesystem>
#include <random>

using namespace engine;

class TestGguf : public QObject {
    Q_OBJECT

private slots:
    void every_metadata_type_round_trips();
    void nested_arrays_round_trip();
    void tensors_round_trip_with_alignment();
    void written_file_maps_and_reads_back();
    void version_2_files_are_read();
    void typed_lookups_name_the_key();
};

void TestGguf::every_metadata_type_round_trips() {
    GgufWriter w;
    w.set("u8", GgufValue::from_uint(GgufValueType::UInt8, 250));
    w.set("i8", GgufValue::from_int(GgufValueType::Int8, -120));
    w.set("u16", GgufValue::from_uint(GgufValueType::UInt16, 65000));
    w.set("i16", GgufValue::from_int(GgufValueType::Int16, -32000));
    w.set("u32", GgufValue::u32(4000000000u));
    w.set("i32", GgufValue::i32(-2000000000));
    w.set("u64", GgufValue::from_uint(GgufValueType::UInt64, 18000000000000000000ull));
    w.set("i64", GgufValue::from_int(GgufValueType::Int64, -9000000000000000000ll));
    w.set("f32", GgufValue::f32(0.15625f));
    w.set("f64", GgufValue::from_float(GgufValueType::Float64, 1e-300));
    w.set("yes", GgufValue::from_bool(true));
    w.set("text", GgufValue::from_string("héllo, 世界 \n\t"));
    w.set("strings", GgufValue::string_array({"a", "", "ccc"}));
    w.set("ints", GgufValue::int32_array({1, -2, 3}));

    GgufFile f = GgufFile::parse(w.to_bytes(), "round-trip");
    QCOMPARE(f.version(), 3u);
    QCOMPARE(f.metadata().size(), size_t(14));
    QCOMPARE(f.metadata()[0].first, std::string("u8"));   // insertion order kept
    QCOMPARE(f.get("u8").as_uint(), uint64_t(250));
    QCOMPARE(f.get("i8").as_int(), int64_t(-120));
    QCOMPARE(f.get("u16").as_uint(), uint64_t(65000));
    QCOMPARE(f.get("i16").as_int(), int64_t(-32000));
    QCOMPARE(f.get("u32").as_uint(), uint64_t(4000000000u));
    QCOMPARE(f.get("i32").as_int(), int64_t(-2000000000));
    QCOMPARE(f.get("u64").as_uint(), uint64_t(18000000000000000000ull));
    QCOMPARE(f.get("i64").as_int(), int64_t(-9000000000000000000ll));
    QCOMPARE(f.get_float("f32"), 0.15625);
    QCOMPARE(f.get_float("f64"), 1e-300);
    QCOMPARE(f.get_bool("yes"), true);
    QCOMPARE(f.get_string("text"), std::string("héllo, 世界 \n\t"));
    const auto& strings = f.get_array("strings", GgufValueType::String);
    QCOMPARE(strings.elements.size(), size_t(3));
    QCOMPARE(strings.elements[2].as_string(), std::string("ccc"));
    QCOMPARE(f.get_array("ints", GgufValueType::Int32).elements[1].as_int(), int64_t(-2));
    // A uint64 too large for int64 is refused, not wrapped.
    QVERIFY_THROWS_EXCEPTION(Error, f.get_int("u64"));
    QVERIFY_THROWS_EXCEPTION(Error, f.get("i8").as_uint());
}

void TestGguf::nested_arrays_round_trip() {
    GgufArray inner1{GgufValueType::Float32, {GgufValue::f32(1.5f), GgufValue::f32(-2.0f)}};
    GgufArray inner2{GgufValueType::Float32, {}};
    GgufArray outer{GgufValueType::Array, {GgufValue::from_array(inner1), GgufValue::from_array(inner2)}};
    GgufWriter w;
    w.set("nested", GgufValue::from_array(outer));
    GgufFile f = GgufFile::parse(w.to_bytes());
    const auto& a = f.get_array("nested", GgufValueType::Array);
    QCOMPARE(a.elements.size(), size_t(2));
    QCOMPARE(a.elements[0].as_array().elements[1].as_float(), -2.0);
    QCOMPARE(a.elements[1].as_array().elements.size(), size_t(0));
}

void TestGguf::tensors_round_trip_with_alignment() {
    std::mt19937 rng(std::random_device{}());
    for (uint64_t alignment : {32u, 64u, 128u}) {
        GgufWriter w(alignment);
        w.set_string("general.architecture", "llama");
        std::vector<std::vector<uint8_t>> payloads;
        // Rows of 64 elements: F32, F16 and a Q8_0 tensor of random bytes.
        struct Spec { const char* name; GgmlType type; std::vector<int64_t> shape; };
        std::vector<Spec> specs = {{"a.weight", GgmlType::F32, {64, 3}},
                                   {"b.weight", GgmlType::F16, {64}},
                                   {"c.weight", GgmlType::Q8_0, {64, 2, 2}}};
        for (const auto& s : specs) {
            size_t rows = 1;
            for (size_t i = 1; i < s.shape.size(); ++i) rows *= size_t(s.shape[i]);
            std::vector<uint8_t> data(ggml_row_size(s.type, s.shape[0]) * rows);
            for (auto& b : data) b = uint8_t(rng());
            payloads.push_back(data);
            w.add_tensor(s.name, s.type, s.shape, data);
        }
        GgufFile f = GgufFile::parse(w.to_bytes());
        QCOMPARE(f.alignment(), alignment);
        QCOMPARE(f.data_offset() % alignment, uint64_t(0));
        QCOMPARE(f.tensors().size(), specs.size());
        for (size_t i = 0; i < specs.size(); ++i) {
            const auto& t = f.tensor(specs[i].name);
            QCOMPARE(t.type, specs[i].type);
            QCOMPARE(t.shape, specs[i].shape);
            QCOMPARE(t.size_bytes, uint64_t(payloads[i].size()));
            QCOMPARE(t.offset % alignment, uint64_t(0));
            QVERIFY(std::equal(payloads[i].begin(), payloads[i].end(), t.data));
        }
        QCOMPARE(f.tensor("c.weight").rows(), int64_t(4));
        QCOMPARE(f.tensor("c.weight").n_elements, int64_t(256));
        QVERIFY(f.find_tensor("missing") == nullptr);
        QVERIFY_THROWS_EXCEPTION(Error, f.tensor("missing"));
    }
}

void TestGguf::written_file_maps_and_reads_back() {
    QTemporaryDir dir;
    auto path = std::filesystem::path(dir.path().toStdString()) / "tiny.gguf";
    GgufWriter w;
    w.set_u32("llama.block_count", 2);
    std::vector<uint8_t> data(4 * 32);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i);
    w.add_tensor("t", GgmlType::F32, {32}, data);
    w.write(path);
    QVERIFY(!std::filesystem::exists(path.string() + ".partial"));
    GgufFile f = GgufFile::open(path);
    QCOMPARE(f.name(), path.string());
    QCOMPARE(f.get_int("llama.block_count"), int64_t(2));
    QCOMPARE(f.file_size(), uint64_t(std::filesystem::file_size(path)));
    QVERIFY(std::equal(data.begin(), data.end(), f.tensor("t").data));
}

void TestGguf::version_2_files_are_read() {
    GgufBytes b;
    b.header(1, 1, 2).str("general.name").put<uint32_t>(8).str("v2");
    b.str("w").put<uint32_t>(1).put<uint64_t>(32).put<uint32_t>(0).put<uint64_t>(0);
    b.pad().zeros(128);
    GgufFile f = GgufFile::parse(b.bytes);
    QCOMPARE(f.version(), 2u);
    QCOMPARE(f.get_string("general.name"), std::string("v2"));
    QCOMPARE(f.tensor("w").size_bytes, uint64_t(128));
}

void TestGguf::typed_lookups_name_the_key() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    GgufFile f = GgufFile::parse(w.to_bytes(), "m.gguf");
    try {
        f.get_int("general.architecture");
        QFAIL("expected an error");
    } catch (const Error& e) {
        QCOMPARE(QString(e.what()), QString("m.gguf: metadata 'general.architecture': expected an integer value, found string"));
    }
    try {
        f.get_string("llama.block_count");
        QFAIL("expected an error");
    } catch (const Error& e) {
        QCOMPARE(QString(e.what()), QString("m.gguf: metadata key 'llama.block_count' is missing"));
    }
    QVERIFY(!f.get_int_opt("llama.block_count").has_value());
}

QTEST_GUILESS_MAIN(TestGguf)
#include "test_gguf.moc"
