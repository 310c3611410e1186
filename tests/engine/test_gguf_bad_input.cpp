// Damaged and hostile GGUF files: each gives one clear error, from the library and
// from `glimpse-cli inspect`, and never a crash, hang or huge allocation.

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_bytes.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <fstream>
#include <random>

using namespace engine;

namespace {

// A small but complete file whose last tensor ends exactly at the end of the file.
std::vector<uint8_t> valid_image() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_u32("llama.block_count", 1);
    w.set("tokenizer.ggml.tokens", GgufValue::string_array({"a", "b", "ab"}));
    w.add_tensor("first", GgmlType::F16, {64, 2}, std::vector<uint8_t>(256, 0x3c));
    w.add_tensor("last", GgmlType::F32, {32}, std::vector<uint8_t>(128, 0));
    return w.to_bytes();
}

QString error_of(const std::vector<uint8_t>& bytes) {
    try {
        GgufFile::parse(bytes, "bad.gguf");
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace

class TestGgufBadInput : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    // Writes the bytes to a file, runs `glimpse-cli inspect` on it and checks for a
    // one-line error and a non-zero exit status. Returns the error line.
    QString cli_error(const std::vector<uint8_t>& bytes, const char* name) {
        QString path = dir_.filePath(name);
        {
            std::ofstream out(path.toStdString(), std::ios::binary);
            out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        }
        QProcess p;
        p.start(QString::fromStdString(test_support::cli_path().string()), {"inspect", path});
        if (!p.waitForFinished(30000)) {
            p.kill();
            qWarning("glimpse-cli did not finish");
            return {};
        }
        if (p.exitStatus() != QProcess::NormalExit) {
            qWarning("glimpse-cli crashed");
            return {};
        }
        if (p.exitCode() == 0) {
            qWarning("glimpse-cli exited with 0");
            return {};
        }
        QString err = QString::fromUtf8(p.readAllStandardError());
        if (err.count('\n') != 1 || !err.startsWith("glimpse-cli: error: ")) {
            qWarning("not a one-line error: %s", qPrintable(err));
            return {};
        }
        return err.trimmed();
    }

private slots:
    void zero_byte_file();
    void text_file_renamed_gguf();
    void truncated_at_random_points();
    void tensor_offset_past_end_of_file();
    void dimension_product_overflows();
    void unknown_tensor_type();
    void string_length_of_two_to_the_63();
    void array_count_larger_than_file();
    void unsupported_versions();
    void misaligned_tensor_and_bad_alignment();
    void duplicate_keys_and_tensors();
    void row_length_not_multiple_of_block();
    void missing_file();
    void vocabulary_without_merges();
};

void TestGgufBadInput::zero_byte_file() {
    QString path = dir_.filePath("empty.gguf");
    std::ofstream(path.toStdString()).close();
    QVERIFY_THROWS_EXCEPTION(Error, GgufFile::open(path.toStdString()));
    QVERIFY(cli_error({}, "empty.gguf").contains("the file is empty"));
}

void TestGgufBadInput::text_file_renamed_gguf() {
    std::string text = "These are notes, not a model.\n";
    std::vector<uint8_t> bytes(text.begin(), text.end());
    QVERIFY(error_of(bytes).contains("not a GGUF file"));
    QVERIFY(cli_error(bytes, "notes.gguf").contains("not a GGUF file"));
}

void TestGgufBadInput::truncated_at_random_points() {
    auto image = valid_image();
    QVERIFY(error_of(image).isEmpty());
    const auto seed = std::random_device{}();
    qInfo("seed %u", seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> cut(1, image.size() - 1);
    for (int i = 0; i < 10; ++i) {
        size_t n = cut(rng);
        std::vector<uint8_t> truncated(image.begin(), image.begin() + long(n));
        QString err = error_of(truncated);
        QVERIFY2(!err.isEmpty(), qPrintable(QString("no error when cut at %1").arg(n)));
        QVERIFY2(err.startsWith("bad.gguf: "), qPrintable(err));
    }
    // One through the CLI as well.
    std::vector<uint8_t> truncated(image.begin(), image.begin() + long(image.size() / 2));
    QVERIFY(!cli_error(truncated, "truncated.gguf").isEmpty());
}

void TestGgufBadInput::tensor_offset_past_end_of_file() {
    GgufBytes b;
    b.header(1, 0).str("w").put<uint32_t>(1).put<uint64_t>(32).put<uint32_t>(0).put<uint64_t>(1 << 20);
    b.pad().zeros(128);
    QVERIFY(error_of(b.bytes).contains("tensor 'w' ends past the end of the file"));
    QVERIFY(cli_error(b.bytes, "offset.gguf").contains("ends past the end of the file"));
}

void TestGgufBadInput::dimension_product_overflows() {
    GgufBytes b;
    b.header(1, 0).str("w").put<uint32_t>(3);
    b.put<uint64_t>(1ull << 32).put<uint64_t>(1ull << 31).put<uint64_t>(4);
    b.put<uint32_t>(0).put<uint64_t>(0).pad().zeros(64);
    QVERIFY(error_of(b.bytes).contains("overflows 64 bits"));
    QVERIFY(cli_error(b.bytes, "overflow.gguf").contains("overflows 64 bits"));
}

void TestGgufBadInput::unknown_tensor_type() {
    GgufBytes b;
    b.header(1, 0).str("w").put<uint32_t>(1).put<uint64_t>(32).put<uint32_t>(77).put<uint64_t>(0);
    b.pad().zeros(128);
    QVERIFY(error_of(b.bytes).contains("unknown tensor type id 77"));
    QVERIFY(cli_error(b.bytes, "type.gguf").contains("unknown tensor type id 77"));
}

void TestGgufBadInput::string_length_of_two_to_the_63() {
    GgufBytes b;
    b.header(0, 1).put<uint64_t>(1ull << 63).zeros(16);
    QVERIFY(error_of(b.bytes).contains("string length 9223372036854775808 runs past the end"));
    GgufBytes v;
    v.header(0, 1).str("general.name").put<uint32_t>(8).put<uint64_t>(1ull << 63).zeros(16);
    QVERIFY(error_of(v.bytes).contains("metadata 'general.name'"));
    QVERIFY(cli_error(v.bytes, "string.gguf").contains("string length"));
}

void TestGgufBadInput::array_count_larger_than_file() {
    GgufBytes b;
    b.header(0, 1).str("tokenizer.ggml.tokens").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 40);
    b.str("a").str("b");
    QVERIFY(error_of(b.bytes).contains("cannot fit"));
    QVERIFY(cli_error(b.bytes, "array.gguf").contains("array of 1099511627776 elements cannot fit"));
    // Counts in the header are checked against the file size before anything is reserved.
    GgufBytes h;
    h.header(1ull << 60, 0);
    QVERIFY(error_of(h.bytes).contains("header.tensor_count"));
    GgufBytes k;
    k.header(0, ~0ull);
    QVERIFY(error_of(k.bytes).contains("header.metadata_kv_count"));
}

void TestGgufBadInput::unsupported_versions() {
    GgufBytes v1;
    v1.header(0, 0, 1);
    QVERIFY(error_of(v1.bytes).contains("version 1 is obsolete"));
    GgufBytes v9;
    v9.header(0, 0, 9);
    QVERIFY(error_of(v9.bytes).contains("unsupported GGUF version 9"));
    GgufBytes big;
    big.header(0, 0, 0x03000000);
    QVERIFY(error_of(big.bytes).contains("big-endian"));
}

void TestGgufBadInput::misaligned_tensor_and_bad_alignment() {
    GgufBytes b;
    b.header(1, 0).str("w").put<uint32_t>(1).put<uint64_t>(32).put<uint32_t>(0).put<uint64_t>(4);
    b.pad().zeros(256);
    QVERIFY(error_of(b.bytes).contains("is not aligned to 32"));
    GgufBytes a;
    a.header(0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(24);
    QVERIFY(error_of(a.bytes).contains("24 is not a power of two"));
    GgufBytes z;
    z.header(0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(0);
    QVERIFY(error_of(z.bytes).contains("0 is not a power of two"));
}

void TestGgufBadInput::duplicate_keys_and_tensors() {
    GgufBytes b;
    b.header(0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(2);
    QVERIFY(error_of(b.bytes).contains("the key appears twice"));
    GgufBytes t;
    t.header(2, 0);
    for (int i = 0; i < 2; ++i) t.str("w").put<uint32_t>(1).put<uint64_t>(32).put<uint32_t>(0).put<uint64_t>(0);
    t.pad().zeros(128);
    QVERIFY(error_of(t.bytes).contains("the tensor name appears twice"));
}

void TestGgufBadInput::row_length_not_multiple_of_block() {
    GgufBytes b;
    b.header(1, 0).str("w").put<uint32_t>(1).put<uint64_t>(33).put<uint32_t>(8).put<uint64_t>(0);
    b.pad().zeros(128);
    QVERIFY(error_of(b.bytes).contains("not a multiple of the Q8_0 block size 32"));
}

void TestGgufBadInput::missing_file() {
    QVERIFY_THROWS_EXCEPTION(Error, GgufFile::open(dir_.filePath("nope.gguf").toStdString()));
    QProcess p;
    p.start(QString::fromStdString(test_support::cli_path().string()), {"inspect", dir_.filePath("nope.gguf")});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY(p.exitCode() != 0);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("cannot open: No such file or directory"));
    // Wrong arguments print usage and fail.
    p.start(QString::fromStdString(test_support::cli_path().string()), {"inspect", "--no-such-flag"});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY(p.exitCode() != 0);
}

void TestGgufBadInput::vocabulary_without_merges() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "smollm");
    w.set("tokenizer.ggml.tokens", GgufValue::string_array({"a", "b", "ab"}));
    w.set("tokenizer.ggml.token_type", GgufValue::int32_array({1, 1, 1}));
    w.add_tensor("w", GgmlType::F32, {32}, std::vector<uint8_t>(128, 0));
    QString err = cli_error(w.to_bytes(), "no-merges.gguf");
    QVERIFY2(err.contains("tokenizer.ggml.merges"), qPrintable(err));
}

QTEST_GUILESS_MAIN(TestGgufBadInput)
#include "test_gguf_bad_input.moc"
