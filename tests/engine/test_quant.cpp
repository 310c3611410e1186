// Weight block formats: fp16/bf16 against a double-precision reference, hand-built blocks
// of every decoded format, gguf-py's decoder and encoder (tests/engine/data/
// quant_vectors.json, written by scripts/make_quant_vectors.py), and round trips of fresh
// random data with stated error bounds.

#include "engine/error.h"
#include "engine/quant/quantize.h"

#include <QtTest/QtTest>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

using engine::GgmlType;

namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
    std::vector<uint8_t> bytes(hex.size() / 2);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return bytes;
}

std::vector<float> floats_from_hex(const std::string& hex) {
    const auto bytes = from_hex(hex);
    std::vector<float> values(bytes.size() / 4);
    std::memcpy(values.data(), bytes.data(), bytes.size());
    return values;
}

GgmlType type_named(const std::string& name) {
    const auto type = engine::ggml_type_from_name(name);
    if (!type) qFatal("unknown type %s in the vectors", name.c_str());
    return *type;
}

std::vector<float> dequantize(GgmlType type, const std::vector<uint8_t>& bytes) {
    const auto& traits = engine::ggml_type_traits(type);
    std::vector<float> out(bytes.size() / traits.type_size * traits.block_size);
    engine::dequantize_row(type, bytes.data(), out.data(), static_cast<int64_t>(out.size()));
    return out;
}

std::vector<uint8_t> quantize(GgmlType type, const std::vector<float>& x) {
    std::vector<uint8_t> out(engine::ggml_row_size(type, static_cast<int64_t>(x.size())));
    engine::quantize_row(type, x.data(), out.data(), static_cast<int64_t>(x.size()));
    return out;
}

// A block of `size` bytes, zero but for the bytes set by hand.
std::vector<uint8_t> block_of(size_t size, std::initializer_list<std::pair<size_t, uint8_t>> bytes) {
    std::vector<uint8_t> block(size, 0);
    for (auto [offset, value] : bytes) block[offset] = value;
    return block;
}

// Expected values of a super-block: one value per sub-block, then single elements.
std::vector<float> expected_by_subblock(int sub_size, std::map<int, float> sub_values, std::map<int, float> elements) {
    std::vector<float> out(256, 0.0f);
    for (int e = 0; e < 256; ++e)
        if (auto it = sub_values.find(e / sub_size); it != sub_values.end()) out[e] = it->second;
    for (auto [e, v] : elements) out[e] = v;
    return out;
}

void compare_values(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i]) QFAIL(qPrintable(QString("%1: element %2 is %3, expected %4").arg(what).arg(i).arg(got[i]).arg(want[i])));
}

// Every finite half as a double, from the definition of binary16.
double half_value(uint16_t h) {
    const int exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    const double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
    return (h & 0x8000) ? -magnitude : magnitude;
}

// Nearest representable value, ties to an even significand, in double precision.
// `bits` significand bits (11 for half, 8 for bfloat16); `min_exponent` of the normals;
// `max_finite` the largest finite value (anything rounding past it is infinity).
double round_reference(double x, int bits, int min_exponent, double max_finite) {
    const double a = std::fabs(x);
    if (a == 0.0) return x;
    const int exponent = std::max(static_cast<int>(std::floor(std::log2(a))), min_exponent);
    const double ulp = std::ldexp(1.0, exponent - (bits - 1));
    const double q = a / ulp;  // exact: a power-of-two division
    double r = std::floor(q);
    const double frac = q - r;
    if (frac > 0.5 || (frac == 0.5 && std::fmod(r, 2.0) != 0.0)) r += 1.0;
    double rounded = r * ulp;
    // Past the largest finite value by at least half an ulp: infinity.
    if (rounded > max_finite) rounded = INFINITY;
    return std::copysign(rounded, x);
}

double half_reference(float f) { return round_reference(f, 11, -14, 65504.0); }
double bf16_reference(float f) { return round_reference(f, 8, -126, static_cast<double>(std::numeric_limits<float>::max())); }

bool same_value(float got, double want) {
    if (std::isinf(want)) return std::isinf(got) && std::signbit(got) == std::signbit(want);
    return static_cast<double>(got) == want && std::signbit(got) == std::signbit(want);
}

nlohmann::json load_vectors() {
    const std::string path = std::string(GLIMPSE_TEST_DATA_DIR) + "/engine/data/quant_vectors.json";
    std::ifstream in(path);
    if (!in) qFatal("cannot open %s", path.c_str());
    return nlohmann::json::parse(in);
}

uint32_t clock_seed() {
    return static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

struct Errors {
    double max_abs = 0.0;
    double sum_sq = 0.0;
    int n = 0;
    void add(double err) {
        max_abs = std::max(max_abs, std::fabs(err));
        sum_sq += err * err;
        ++n;
    }
    double rms() const { return n ? std::sqrt(sum_sq / n) : 0.0; }
};

// Random test data of the kinds weights come in, at a random magnitude per block.
std::vector<float> random_weights(std::mt19937& rng, int n_blocks, int block_size) {
    std::vector<float> x(static_cast<size_t>(n_blocks) * block_size);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int b = 0; b < n_blocks; ++b) {
        const double scale = std::pow(10.0, -3.0 + 4.0 * unit(rng));
        std::normal_distribution<double> normal(0.0, scale);
        std::student_t_distribution<double> heavy(3.0);
        const double offset = (b % 5 == 3) ? scale * (unit(rng) - 0.5) * 4.0 : 0.0;
        for (int i = 0; i < block_size; ++i) {
            double v = 0;
            switch (b % 4) {
                case 0: v = normal(rng); break;
                case 1: v = scale * heavy(rng); break;
                case 2: v = scale * (2.0 * unit(rng) - 1.0); break;
                default: v = std::fabs(normal(rng)); break;  // one-signed
            }
            x[static_cast<size_t>(b) * block_size + i] = static_cast<float>(v + offset);
        }
    }
    return x;
}

}  // namespace

class QuantFormats : public QObject {
    Q_OBJECT

private slots:
    void fp16_decodes_every_half_exactly();
    void fp16_encoding_rounds_to_nearest_even();
    void bf16_round_trips_and_rounds_to_nearest_even();
    void nan_and_infinity_survive_conversion();
    void hand_built_blocks_decode_to_known_values();
    void decoding_matches_gguf_py();
    void legacy_encoding_matches_gguf_py_bytes();
    void legacy_round_trip_stays_within_stated_bounds();
    void k_quant_round_trip_stays_near_ideal_scales();
    void k_quant_edge_blocks_round_trip();
    void unsupported_types_and_bad_input_are_errors();
};

void QuantFormats::fp16_decodes_every_half_exactly() {
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
        const float got = engine::fp16_to_fp32(static_cast<uint16_t>(h));
        const bool is_nan = ((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF) != 0;
        const bool is_inf = ((h >> 10) & 0x1F) == 0x1F && (h & 0x3FF) == 0;
        if (is_nan) {
            QVERIFY2(std::isnan(got), qPrintable(QString::number(h, 16)));
            QCOMPARE(std::signbit(got), (h & 0x8000) != 0);
            QCOMPARE((std::bit_cast<uint32_t>(got) >> 13) & 0x1FF, h & 0x1FF);  // payload kept
        } else if (is_inf) {
            QVERIFY(std::isinf(got));
            QCOMPARE(std::signbit(got), (h & 0x8000) != 0);
        } else {
            QVERIFY2(same_value(got, half_value(static_cast<uint16_t>(h))), qPrintable(QString::number(h, 16)));
            QCOMPARE(engine::fp32_to_fp16(got), static_cast<uint16_t>(h));  // exact values come back
        }
    }
}

void QuantFormats::fp16_encoding_rounds_to_nearest_even() {
    std::vector<float> inputs;
    // Every tie between neighbouring halves, and the floats just either side of it.
    for (uint16_t h = 0; h < 0x7C00; ++h) {
        const double mid = (half_value(h) + (h == 0x7BFF ? 65536.0 : half_value(h + 1))) / 2.0;
        const auto m = static_cast<float>(mid);
        QCOMPARE(static_cast<double>(m), mid);
        for (float f : {m, std::nextafter(m, 0.0f), std::nextafter(m, INFINITY)}) {
            inputs.push_back(f);
            inputs.push_back(-f);
        }
    }
    const uint32_t seed = clock_seed();
    qInfo("random seed %u", seed);
    std::mt19937 rng(seed);
    for (int i = 0; i < 300000; ++i) inputs.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
    std::uniform_real_distribution<float> exponent(-30.0f, 17.0f);
    for (int i = 0; i < 300000; ++i) inputs.push_back(std::exp2(exponent(rng)) * (rng() % 2 ? 1.0f : -1.0f));
    for (float f : {0.0f, -0.0f, 1e-45f, 65504.0f, 65520.0f, 65519.996f, 1e30f, std::numeric_limits<float>::max()})
        inputs.push_back(f);

    for (float f : inputs) {
        if (std::isnan(f)) continue;
        const float got = engine::fp16_to_fp32(engine::fp32_to_fp16(f));
        if (!same_value(got, half_reference(f)))
            QFAIL(qPrintable(QString("fp16 of %1 (bits %2) decodes to %3, expected %4")
                                 .arg(static_cast<double>(f), 0, 'g', 17)
                                 .arg(std::bit_cast<uint32_t>(f), 8, 16)
                                 .arg(static_cast<double>(got), 0, 'g', 17)
                                 .arg(half_reference(f), 0, 'g', 17)));
    }
}

void QuantFormats::bf16_round_trips_and_rounds_to_nearest_even() {
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
        const float got = engine::bf16_to_fp32(static_cast<uint16_t>(h));
        QCOMPARE(std::bit_cast<uint32_t>(got), h << 16);
        if (!std::isnan(got)) QCOMPARE(engine::fp32_to_bf16(got), static_cast<uint16_t>(h));
    }
    const uint32_t seed = clock_seed();
    qInfo("random seed %u", seed);
    std::mt19937 rng(seed);
    std::vector<float> inputs;
    for (int i = 0; i < 500000; ++i) inputs.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
    // Ties and near-ties: low 16 bits at 0x8000 and around it, on odd and even bf16 values.
    for (uint32_t high : {0x3F80u, 0x3F81u, 0x0001u, 0x0080u, 0x7F7Fu, 0x7F7Eu, 0x8001u, 0xC2F7u})
        for (uint32_t low : {0x7FFFu, 0x8000u, 0x8001u, 0x0000u, 0xFFFFu})
            inputs.push_back(std::bit_cast<float>((high << 16) | low));
    for (float f : inputs) {
        if (std::isnan(f)) continue;
        const float got = engine::bf16_to_fp32(engine::fp32_to_bf16(f));
        if (!same_value(got, bf16_reference(f)))
            QFAIL(qPrintable(QString("bf16 of bits %1 decodes to %2, expected %3")
                                 .arg(std::bit_cast<uint32_t>(f), 8, 16)
                                 .arg(static_cast<double>(got), 0, 'g', 17)
                                 .arg(bf16_reference(f), 0, 'g', 17)));
    }
}

void QuantFormats::nan_and_infinity_survive_conversion() {
    const float inf = std::numeric_limits<float>::infinity();
    QCOMPARE(engine::fp32_to_fp16(inf), uint16_t{0x7C00});
    QCOMPARE(engine::fp32_to_fp16(-inf), uint16_t{0xFC00});
    QCOMPARE(engine::fp32_to_bf16(inf), uint16_t{0x7F80});
    QCOMPARE(engine::fp32_to_bf16(-inf), uint16_t{0xFF80});
    // NaNs stay NaN (never infinity), keep their sign, and come out quiet.
    for (uint32_t bits : {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u, 0x7FBFFFFFu, 0x7F802000u}) {
        const float nan = std::bit_cast<float>(bits);
        const uint16_t h = engine::fp32_to_fp16(nan);
        QVERIFY(std::isnan(engine::fp16_to_fp32(h)));
        QVERIFY(h & 0x0200);
        QCOMPARE((h & 0x8000) != 0, (bits >> 31) != 0);
        const uint16_t b = engine::fp32_to_bf16(nan);
        QVERIFY(std::isnan(engine::bf16_to_fp32(b)));
        QVERIFY(b & 0x0040);
        QCOMPARE((b & 0x8000) != 0, (bits >> 31) != 0);
    }
    QVERIFY(std::isnan(engine::fp16_to_fp32(0x7C01)));
    QVERIFY(std::isnan(engine::fp16_to_fp32(0xFE00)));
}

void QuantFormats::hand_built_blocks_decode_to_known_values() {
    auto check = [](GgmlType type, const std::vector<uint8_t>& block, const std::vector<float>& want) {
        compare_values(dequantize(type, block), want, engine::ggml_type_name(type).data());
    };
    auto legacy = [](float fill, std::map<int, float> elements) {
        std::vector<float> out(32, fill);
        for (auto [e, v] : elements) out[e] = v;
        return out;
    };

    check(GgmlType::F32, {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x20, 0xC1}, {1.5f, -10.0f});
    check(GgmlType::F16, {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0xFF, 0x7B}, {1.0f, -2.0f, 0x1p-24f, 65504.0f});
    check(GgmlType::BF16, {0x80, 0x3F, 0x40, 0xC0, 0x01, 0x00}, {1.0f, -3.0f, 0x1p-133f});

    // Q4_0, d = 0.5: element j is the low nibble of qs[j], element j + 16 the high one.
    std::vector<uint8_t> q4_0(18, 0x88);
    q4_0[0] = 0x00, q4_0[1] = 0x38, q4_0[2] = 0x1F, q4_0[3] = 0x80;
    check(GgmlType::Q4_0, q4_0, legacy(0.0f, {{0, 3.5f}, {16, -3.5f}, {1, -4.0f}}));

    // Q4_1, d = 1, m = -2.
    std::vector<uint8_t> q4_1(20, 0x22);
    q4_1[0] = 0x00, q4_1[1] = 0x3C, q4_1[2] = 0x00, q4_1[3] = 0xC0, q4_1[4 + 3] = 0xF5;
    check(GgmlType::Q4_1, q4_1, legacy(0.0f, {{3, 3.0f}, {19, 13.0f}}));

    // Q5_0, d = 1: every fifth bit set (q = 16, value 0) except elements 2 and 31.
    auto q5_0 = block_of(22, {{1, 0x3C}, {2, 0xFB}, {3, 0xFF}, {4, 0xFF}, {5, 0x7F}, {6 + 2, 0x03}, {6 + 4, 0xF0}});
    check(GgmlType::Q5_0, q5_0, legacy(0.0f, {{2, -13.0f}, {20, 15.0f}, {31, -16.0f}}));

    // Q5_1, d = 0.5, m = 1: element 0 has q = 1, element 17 has q = 31 (fifth bit 17).
    auto q5_1 = block_of(24, {{1, 0x38}, {3, 0x3C}, {4 + 2, 0x02}, {8 + 0, 0x01}, {8 + 1, 0xF0}});
    check(GgmlType::Q5_1, q5_1, legacy(1.0f, {{0, 1.5f}, {17, 16.5f}}));

    // Q8_0, d = 0.25.
    auto q8_0 = block_of(34, {{1, 0x34}, {2, 0x7F}, {3, 0x80}, {33, 0xFF}});
    check(GgmlType::Q8_0, q8_0, legacy(0.0f, {{0, 31.75f}, {1, -32.0f}, {31, -0.25f}}));

    // Q2_K, d = 1, dmin = 0.5. Sub-block 0: scale 1, min 2 (so -1 + q); element 0 has q = 3.
    // Sub-block 13: scale 5, min 0; element 210 is half 1, bit pair 2, lane 18 with q = 2.
    auto q2_k = block_of(84, {{0, 0x21}, {13, 0x05}, {16 + 0, 0x03}, {16 + 50, 0x20}, {81, 0x3C}, {83, 0x38}});
    check(GgmlType::Q2_K, q2_k, expected_by_subblock(16, {{0, -1.0f}}, {{0, 2.0f}, {210, 10.0f}}));

    // Q3_K, d = 1. Stored scales 32 (scale 0) except sub-block 0 (33 -> 1) and 9 (16 -> -16).
    // With hmask clear and qs zero every q is -4. Element 3 (hmask[3] bit 0, q = 2) and
    // element 150 (half 1, lane 22: hmask[22] bit 4, qs[54], q = 3) are set by hand.
    auto q3_k = block_of(110, {{3, 0x01}, {22, 0x10}, {32 + 3, 0x02}, {32 + 54, 0x03}, {96 + 0, 0x01},
                               {96 + 8, 0xAA}, {96 + 9, 0x9A}, {96 + 10, 0xAA}, {96 + 11, 0xAA}, {109, 0x3C}});
    check(GgmlType::Q3_K, q3_k, expected_by_subblock(16, {{0, -4.0f}, {9, 64.0f}}, {{3, 2.0f}, {150, -48.0f}}));

    // Q4_K, d = dmin = 1. Sub-block 0: scale 2, min 1; element 7 has q = 9. Sub-block 5:
    // scale 33, min 18 (upper bits in bytes 1 and 5); element 170 has q = 3 (high nibble of qs[74]).
    auto q4_k = block_of(144, {{1, 0x3C}, {3, 0x3C}, {4 + 0, 0x02}, {4 + 4, 0x01}, {4 + 1, 0x80}, {4 + 5, 0x40},
                               {4 + 9, 0x21}, {16 + 7, 0x09}, {16 + 74, 0x30}});
    check(GgmlType::Q4_K, q4_k, expected_by_subblock(32, {{0, -1.0f}, {5, -18.0f}}, {{7, 17.0f}, {170, 81.0f}}));

    // Q5_K, d = 0.5, dmin = 0. Sub-block 3: scale 4; element 100 has q = 5 + 16. Sub-block 6:
    // scale 63 (upper bits in byte 2); element 223 has q = 15 + 16.
    auto q5_k = block_of(176, {{1, 0x38}, {4 + 3, 0x04}, {4 + 10, 0x0F}, {4 + 2, 0xC0}, {16 + 4, 0x08},
                               {16 + 31, 0x40}, {48 + 36, 0x50}, {48 + 127, 0x0F}});
    check(GgmlType::Q5_K, q5_k, expected_by_subblock(32, {}, {{100, 42.0f}, {223, 976.5f}}));

    // Q6_K, d = 0.25. Stored q 0 means -32. Sub-block 0: scale 2; element 5 stores 40 (q = 8).
    // Sub-block 15: scale -3; element 255 stores 63 (q = 31): high nibble of ql[127], qh[63] bits 6-7.
    auto q6_k = block_of(210, {{5, 0x08}, {128 + 5, 0x02}, {127, 0xF0}, {128 + 63, 0xC0}, {192 + 0, 0x02},
                               {192 + 15, 0xFD}, {209, 0x34}});
    check(GgmlType::Q6_K, q6_k, expected_by_subblock(16, {{0, -16.0f}, {15, 24.0f}}, {{5, 4.0f}, {255, -23.25f}}));
}

void QuantFormats::decoding_matches_gguf_py() {
    const auto vectors = load_vectors();
    std::set<std::string> covered;
    for (const auto& c : vectors.at("dequantize")) {
        const std::string name = c.at("type");
        const auto got = dequantize(type_named(name), from_hex(c.at("blocks")));
        const auto want = floats_from_hex(c.at("values"));
        QCOMPARE(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
            if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i]))
                QFAIL(qPrintable(QString("%1 (%2) element %3: %4, gguf-py gives %5")
                                     .arg(name.c_str(), c.at("source").get<std::string>().c_str())
                                     .arg(i).arg(got[i], 0, 'g', 9).arg(want[i], 0, 'g', 9)));
        // Tensor data in a file need not be aligned: an odd address decodes the same.
        const auto bytes = from_hex(c.at("blocks"));
        std::vector<uint8_t> shifted(bytes.size() + 1);
        std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
        std::vector<float> unaligned(got.size() + 1);
        engine::dequantize_row(type_named(name), shifted.data() + 1, unaligned.data() + 1, static_cast<int64_t>(got.size()));
        QVERIFY(std::memcmp(unaligned.data() + 1, got.data(), got.size() * sizeof(float)) == 0);
        covered.insert(name);
    }
    for (const char* name : {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
        QVERIFY2(covered.count(name), name);
}

void QuantFormats::legacy_encoding_matches_gguf_py_bytes() {
    const auto vectors = load_vectors();
    int cases = 0;
    for (const auto& c : vectors.at("quantize")) {
        const std::string name = c.at("type");
        const auto got = quantize(type_named(name), floats_from_hex(c.at("input")));
        const auto want = from_hex(c.at("blocks"));
        QCOMPARE(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
            if (got[i] != want[i])
                QFAIL(qPrintable(QString("%1 byte %2: %3, gguf-py gives %4").arg(name.c_str()).arg(i).arg(got[i]).arg(want[i])));
        ++cases;
    }
    QVERIFY(cases >= 7);
}

void QuantFormats::legacy_round_trip_stays_within_stated_bounds() {
    const uint32_t seed = clock_seed();
    qInfo("random seed %u", seed);
    std::mt19937 rng(seed);
    const int n_blocks = 400;
    const auto x = random_weights(rng, n_blocks, 32);

    // Bounds per block, from the block's own values: the step between levels, half a step
    // of rounding, and the fp16 rounding of the stored scale (half an ulp: 2^-11 relative,
    // 2^-25 absolute among fp16 subnormals) times the largest level, and of the stored min.
    // Q4_0 / Q5_0 map the largest magnitude to the extra negative level, so a value of the
    // other sign near it is clamped a whole step short.
    struct Case {
        GgmlType type;
        int levels;     // steps from the lowest level to the highest
        int max_level;  // largest |q| the scale is multiplied by
        bool symmetric; // max-abs scale, no min
    };
    auto half_rounding = [](double v) { return std::max(std::fabs(v) * 0x1p-11, 0x1p-25); };
    for (Case c : {Case{GgmlType::Q8_0, 254, 127, true}, Case{GgmlType::Q4_0, 16, 8, true}, Case{GgmlType::Q5_0, 32, 16, true},
                   Case{GgmlType::Q4_1, 15, 15, false}, Case{GgmlType::Q5_1, 31, 31, false}}) {
        const auto y = dequantize(c.type, quantize(c.type, x));
        Errors errors;
        for (int b = 0; b < n_blocks; ++b) {
            const float* xb = x.data() + 32 * b;
            const auto [lo, hi] = std::minmax_element(xb, xb + 32);
            const double amax = std::max(std::fabs(*lo), std::fabs(*hi));
            const double step = c.symmetric ? 2.0 * amax / c.levels : (static_cast<double>(*hi) - *lo) / c.levels;
            const double rounding = c.type == GgmlType::Q8_0 ? 0.5 : (c.symmetric ? 1.0 : 0.5);
            const double bound = rounding * step + c.max_level * half_rounding(step) +
                                 (c.symmetric ? 0.0 : half_rounding(*lo)) + 1e-6 * amax;
            for (int i = 0; i < 32; ++i) {
                const double err = static_cast<double>(y[32 * b + i]) - xb[i];
                errors.add(err / std::max(step, 1e-30));
                if (std::fabs(err) > bound)
                    QFAIL(qPrintable(QString("%1 block %2 element %3: %4 became %5, error above %6")
                                         .arg(engine::ggml_type_name(c.type).data()).arg(b).arg(i)
                                         .arg(xb[i]).arg(y[32 * b + i]).arg(bound)));
            }
        }
        qInfo("%s: max error %.3f steps, rms %.3f steps", engine::ggml_type_name(c.type).data(), errors.max_abs, errors.rms());
        QVERIFY(errors.rms() < 0.35);  // uniform rounding gives 0.29
    }
}


namespace {

struct KCase {
    GgmlType type;
    int sub_size;
    int lowest, highest;  // levels of q
    bool affine;          // scale and min (else a signed scale)
};
constexpr KCase kKCases[] = {
    {GgmlType::Q2_K, 16, 0, 3, true},   {GgmlType::Q3_K, 16, -4, 3, false}, {GgmlType::Q4_K, 32, 0, 15, true},
    {GgmlType::Q5_K, 32, 0, 31, true}, {GgmlType::Q6_K, 16, -32, 31, false},
};

// The error of plain per-sub-block quantization with exact (unrounded) scales, in double:
// min-max with the grid reaching zero for the affine formats, the value of largest
// magnitude on the extra negative level for the signed ones. The stored K-quant scales are
// rounded to a few bits, so this is the ideal an encoder should stay close to.
double ideal_error(const KCase& c, const float* x, int i) {
    const float* xs = x + (i / c.sub_size) * c.sub_size;
    if (c.affine) {
        double lo = 0.0, hi = xs[0];
        for (int k = 0; k < c.sub_size; ++k) lo = std::min(lo, static_cast<double>(xs[k])), hi = std::max(hi, static_cast<double>(xs[k]));
        if (hi == lo) return lo - x[i];
        const double step = (hi - lo) / c.highest;
        const double q = std::clamp(std::nearbyint((x[i] - lo) / step), 0.0, static_cast<double>(c.highest));
        return lo + q * step - x[i];
    }
    double vmax = 0.0;
    for (int k = 0; k < c.sub_size; ++k)
        if (std::fabs(xs[k]) > std::fabs(vmax)) vmax = xs[k];
    if (vmax == 0.0) return -static_cast<double>(x[i]);
    const double step = vmax / c.lowest;
    const double q = std::clamp(std::nearbyint(x[i] / step), static_cast<double>(c.lowest), static_cast<double>(c.highest));
    return q * step - x[i];
}

}  // namespace

void QuantFormats::k_quant_round_trip_stays_near_ideal_scales() {
    const uint32_t seed = clock_seed();
    qInfo("random seed %u", seed);
    std::mt19937 rng(seed);
    const int n_blocks = 64;
    const auto x = random_weights(rng, n_blocks, 256);

    for (const KCase& c : kKCases) {
        const char* name = engine::ggml_type_name(c.type).data();
        const auto y = dequantize(c.type, quantize(c.type, x));
        double worst_ratio = 0.0, sum_ratio = 0.0;
        for (int b = 0; b < n_blocks; ++b) {
            Errors block, block_ideal;
            const float* xb = x.data() + 256 * b;
            for (int i = 0; i < 256; ++i) {
                block.add(static_cast<double>(y[256 * b + i]) - xb[i]);
                block_ideal.add(ideal_error(c, xb, i));
            }
            const double ratio = block.rms() / std::max(block_ideal.rms(), 1e-30);
            worst_ratio = std::max(worst_ratio, ratio);
            sum_ratio += ratio;
            // Per super-block, the scale search makes up for storing the sub-block scales in
            // a few bits. Heavy tails are the exception: an outlier forces a coarse common
            // unit on the other sub-blocks, which exact per-sub-block scales never pay
            // (Q2_K / Q3_K reach about 1.7 times the exact-scale error there).
            const bool heavy_tailed = b % 4 == 1;  // see random_weights
            const double limit = heavy_tailed ? 2.5 : 1.1;
            if (block.rms() > limit * block_ideal.rms() + 1e-9)
                QFAIL(qPrintable(QString("%1 super-block %2: rms error %3 against %4 with exact scales")
                                     .arg(name).arg(b).arg(block.rms()).arg(block_ideal.rms())));
        }
        const double mean_ratio = sum_ratio / n_blocks;
        qInfo("%s: rms error against exact min-max scales: mean ratio %.3f, worst super-block %.3f", name, mean_ratio, worst_ratio);
        // On average the scale search must more than make up for the rounding of the scales.
        QVERIFY2(mean_ratio <= 1.0, name);
    }
}

void QuantFormats::k_quant_edge_blocks_round_trip() {
    std::vector<float> x(256 * 5, 0.0f);
    // Block 0 stays all zero. Block 1: constant negative. Block 2: one sub-block of zeros in
    // random data, one outlier. Block 3: a single non-zero value. Block 4: all positive.
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::fill(x.begin() + 256, x.begin() + 512, -0.75f);
    for (int i = 512; i < 768; ++i) x[i] = (i - 512) / 32 == 3 ? 0.0f : normal(rng);
    x[512 + 200] = 3.0f;
    x[768 + 77] = -1.25f;
    for (int i = 1024; i < 1280; ++i) x[i] = 1.0f + std::fabs(normal(rng));

    for (const KCase& c : kKCases) {
        const char* name = engine::ggml_type_name(c.type).data();
        const auto y = dequantize(c.type, quantize(c.type, x));
        for (int i = 0; i < 256; ++i) QVERIFY2(y[i] == 0.0f, name);
        for (int i = 512 + 96; i < 512 + 128; ++i) QVERIFY2(y[i] == 0.0f, name);  // the zero sub-block
        for (int i = 0; i < 1280; ++i) {
            // Loose per-element bound: the levels of the formats with fewest bits are a
            // third (Q2_K) or a quarter (Q3_K) of a sub-block's range apart.
            const float* xb = x.data() + 256 * (i / 256);
            const auto [lo, hi] = std::minmax_element(xb, xb + 256);
            const double range = std::max(static_cast<double>(*hi) - std::min(0.0f, *lo), static_cast<double>(std::fabs(*lo)));
            const double bound = range * (c.type == GgmlType::Q2_K || c.type == GgmlType::Q3_K ? 0.5 : 0.1) + 1e-6;
            if (std::fabs(static_cast<double>(y[i]) - x[i]) > bound)
                QFAIL(qPrintable(QString("%1 element %2: %3 became %4").arg(name).arg(i).arg(x[i]).arg(y[i])));
        }
        // A lone value and a constant block are reproduced to the precision of fp16 scales.
        QVERIFY2(std::fabs(y[768 + 77] + 1.25f) <= 1.25f * 0x1p-9f, name);
        QVERIFY2(std::fabs(y[300] + 0.75f) <= 0.75f * 0x1p-9f, name);
    }
}

void QuantFormats::unsupported_types_and_bad_input_are_errors() {
    std::vector<uint8_t> bytes(1024, 0);
    std::vector<float> floats(256, 0.5f);
    for (GgmlType type : {GgmlType::IQ2_XXS, GgmlType::Q8_K, GgmlType::MXFP4, GgmlType::I32}) {
        const std::string name(engine::ggml_type_name(type));
        try {
            engine::dequantize_row(type, bytes.data(), floats.data(), 256);
            QFAIL("decoding an unsupported type must throw");
        } catch (const engine::Error& e) {
            QVERIFY2(std::string(e.what()).find(name) != std::string::npos, e.what());
        }
    }
    for (GgmlType type : {GgmlType::IQ4_NL, GgmlType::Q8_1, GgmlType::TQ2_0}) {
        const std::string name(engine::ggml_type_name(type));
        QVERIFY(!engine::can_quantize(type));
        try {
            engine::quantize_row(type, floats.data(), bytes.data(), 256);
            QFAIL("encoding to an unsupported type must throw");
        } catch (const engine::Error& e) {
            QVERIFY2(std::string(e.what()).find(name) != std::string::npos, e.what());
        }
    }
    // The type table's "dequantizable" flag tells the truth for every known type.
    for (uint32_t id = 0; id < 64; ++id) {
        const auto traits = engine::ggml_type_traits(id);
        if (!traits) continue;
        std::vector<uint8_t> block(static_cast<size_t>(traits->type_size), 0);
        std::vector<float> out(static_cast<size_t>(traits->block_size));
        bool decoded = true;
        try {
            engine::dequantize_row(traits->type, block.data(), out.data(), traits->block_size);
        } catch (const engine::Error&) {
            decoded = false;
        }
        QVERIFY2(decoded == traits->dequantizable, traits->name.data());
    }
    for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                          GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                          GgmlType::Q5_K, GgmlType::Q6_K})
        QVERIFY(engine::can_quantize(type));

    // A partial block, a negative count, and values no block format can hold.
    QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantize_row(GgmlType::Q4_K, floats.data(), bytes.data(), 100));
    QVERIFY_THROWS_EXCEPTION(engine::Error, engine::dequantize_row(GgmlType::Q8_0, bytes.data(), floats.data(), 33));
    QVERIFY_THROWS_EXCEPTION(engine::Error, engine::dequantize_row(GgmlType::F16, bytes.data(), floats.data(), -1));
    floats[40] = std::numeric_limits<float>::quiet_NaN();
    QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantize_row(GgmlType::Q8_0, floats.data(), bytes.data(), 64));
    floats[40] = -std::numeric_limits<float>::infinity();
    QVERIFY_THROWS_EXCEPTION(engine::Error, engine::quantize_row(GgmlType::Q6_K, floats.data(), bytes.data(), 256));
    engine::quantize_row(GgmlType::F32, floats.data(), bytes.data(), 64);  // float formats keep infinities
}

QTEST_GUILESS_MAIN(QuantFormats)
#include "test_quant.moc"
