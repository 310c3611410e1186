// The CPU kernels against plain double-precision references on fresh random inputs:
// quantized matmul for every weight format, the SIMD dot kernels against the portable
// ones, attention over cached plus causal tokens, and the thread pool.

#include "engine/backend.h"
#include "engine/cpu/block_float_kernels.h"
#include "engine/cpu/dot_kernels.h"
#include "engine/cpu/half.h"
#include "engine/cpu/matmul.h"
#include "engine/cpu/thread_pool.h"
#include "engine/error.h"
#include "engine/quant/quantize.h"
#include "engine/session/kv_rows.h"

#include <QtTest/QtTest>

#include <atomic>
#include <cfloat>
#include <cmath>
#include <random>
#include <tuple>

using engine::GgmlType;

Q_DECLARE_METATYPE(GgmlType)

namespace {

uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

std::vector<float> random_floats(std::mt19937_64& rng, size_t n) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = normal(rng);
    return v;
}

struct QuantizedMatrix {
    std::vector<uint8_t> bytes;
    std::vector<float> decoded;   // what the stored weights mean
    engine::WeightMatrix view() const { return {bytes.data(), type, rows, cols}; }
    GgmlType type;
    int64_t rows, cols;
};

QuantizedMatrix make_matrix(std::mt19937_64& rng, GgmlType type, int64_t rows, int64_t cols) {
    QuantizedMatrix m{{}, {}, type, rows, cols};
    const auto values = random_floats(rng, static_cast<size_t>(rows * cols));
    const size_t row_bytes = engine::ggml_row_size(type, cols);
    m.bytes.resize(row_bytes * static_cast<size_t>(rows));
    m.decoded.resize(values.size());
    for (int64_t r = 0; r < rows; ++r) {
        engine::quantize_row(type, values.data() + r * cols, m.bytes.data() + r * row_bytes, cols);
        engine::dequantize_row(type, m.bytes.data() + r * row_bytes, m.decoded.data() + r * cols, cols);
    }
    return m;
}

bool rounds_to_16_bits(GgmlType t) { return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q8_0; }

bool uses_q8_activations(GgmlType t) {
    return t == GgmlType::Q4_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_0 || t == GgmlType::Q5_1 ||
           t == GgmlType::Q8_0;
}

// The portable kernels and every SIMD set this CPU runs.
std::vector<const engine::cpu::DotKernels*> kernel_sets() {
    std::vector<const engine::cpu::DotKernels*> sets{&engine::cpu::portable_dot_kernels()};
    for (const auto* simd : {engine::cpu::avx2_dot_kernels(), engine::cpu::avx512_dot_kernels()})
        if (simd) sets.push_back(simd);
    return sets;
}

}  // namespace

class TestForwardKernels : public QObject {
    Q_OBJECT

private slots:
    void matmul_matches_double_reference_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<bool>("q8_activations");
        QTest::addColumn<bool>("portable");
        for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K, GgmlType::Q3_K,
                           GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
            const std::string name(engine::ggml_type_name(t));
            QTest::newRow((name + " float activations").c_str()) << t << false << false;
            QTest::newRow((name + " float activations, portable").c_str()) << t << false << true;
            if (uses_q8_activations(t)) {
                QTest::newRow((name + " 8-bit activations").c_str()) << t << true << false;
                QTest::newRow((name + " 8-bit activations, portable").c_str()) << t << true << true;
            }
        }
    }

    void matmul_matches_double_reference() {
        QFETCH(GgmlType, type);
        QFETCH(bool, q8_activations);
        QFETCH(bool, portable);
        const engine::cpu::MatmulOptions options{
            q8_activations, portable ? &engine::cpu::portable_dot_kernels() : nullptr, !portable};
        std::mt19937_64 rng(fresh_seed(QTest::currentDataTag()));
        const int64_t rows = 37, cols = 512;
        const auto w = make_matrix(rng, type, rows, cols);
        engine::cpu::ThreadPool pool(2);
        engine::cpu::MatmulScratch scratch;
        for (int64_t n_tokens : {1, 2, 5, 70}) {
            const auto x = random_floats(rng, static_cast<size_t>(n_tokens * cols));
            std::vector<float> out(static_cast<size_t>(n_tokens * rows));
            engine::cpu::matmul(pool, scratch, w.view(), x.data(), n_tokens, out.data(), options);
            for (int64_t t = 0; t < n_tokens; ++t)
                for (int64_t r = 0; r < rows; ++r) {
                    double exact = 0.0, magnitude = 0.0, rounding = 0.0;
                    for (int64_t c0 = 0; c0 < cols; c0 += 32) {
                        double amax = 0.0, wsum = 0.0;
                        for (int64_t c = c0; c < c0 + 32; ++c) {
                            const double wi = w.decoded[r * cols + c], xi = x[t * cols + c];
                            exact += wi * xi;
                            magnitude += std::fabs(wi * xi);
                            amax = std::max(amax, std::fabs(xi));
                            wsum += std::fabs(wi);
                        }
                        // Rounding activations to 8 bits moves each by at most half a step.
                        rounding += wsum * amax / 127.0 / 2.0;
                    }
                    // Decode (one or two tokens) rounds Q4_0/Q4_1/Q8_0 activations to 16 bits.
                    const bool sixteen = !q8_activations && n_tokens <= 2 && rounds_to_16_bits(type);
                    const double bound = 1e-5 * magnitude + (q8_activations ? rounding * 1.01 : 0.0) +
                                         (sixteen ? rounding * 127.0 / 32767.0 * 1.01 : 0.0);
                    const double err = std::fabs(out[t * rows + r] - exact);
                    if (err > bound)
                        QFAIL(qPrintable(QString("token %1 row %2: got %3, expected %4 (bound %5)")
                                             .arg(t).arg(r).arg(out[t * rows + r]).arg(exact).arg(bound)));
                }
        }
    }

    void simd_dot_kernels_match_portable_ones() {
        std::vector<const engine::cpu::DotKernels*> sets;
        for (const auto* simd : {engine::cpu::avx2_dot_kernels(), engine::cpu::avx512_dot_kernels()})
            if (simd) sets.push_back(simd);
        if (sets.empty()) QSKIP("this CPU has no AVX2+FMA");
        const auto& portable = engine::cpu::portable_dot_kernels();
        std::mt19937_64 rng(fresh_seed("simd vs portable"));
        engine::cpu::ThreadPool pool(1);
        engine::cpu::MatmulScratch scratch;
        for (const auto* simd : sets)
        for (GgmlType type : {GgmlType::F32, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0}) {
            const auto w = make_matrix(rng, type, 9, 256 + 32);
            const auto x = random_floats(rng, static_cast<size_t>(3 * w.cols));
            std::vector<float> a(27), b(27);
            engine::cpu::matmul(pool, scratch, w.view(), x.data(), 3, a.data(), {true, simd, true});
            engine::cpu::matmul(pool, scratch, w.view(), x.data(), 3, b.data(), {true, &portable, false});
            for (size_t i = 0; i < a.size(); ++i)
                QVERIFY2(std::fabs(a[i] - b[i]) <= 1e-4f * (1.0f + std::fabs(b[i])),
                         qPrintable(QString("%1: %2 vs %3").arg(engine::ggml_type_name(type).data()).arg(a[i]).arg(b[i])));
        }
    }

    void simd_block_kernels_match_plain_decoding() {
        std::mt19937_64 rng(fresh_seed("block kernels"));
        int checked = 0;
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::F16, GgmlType::BF16, GgmlType::Q6_K}) {
            const auto* block = engine::cpu::block_float_kernels(type);
            if (!block) continue;
            const int n = type == GgmlType::Q6_K ? 768 : 352;
            const auto w = make_matrix(rng, type, 1, n);
            const auto x = random_floats(rng, n);
            std::vector<float> decoded(n);
            block->decode(w.bytes.data(), decoded.data(), n);
            for (int i = 0; i < n; ++i) QCOMPARE(decoded[i], w.decoded[i]);
            double exact = 0.0, magnitude = 0.0;
            for (int i = 0; i < n; ++i) {
                exact += double(w.decoded[i]) * x[i];
                magnitude += std::fabs(double(w.decoded[i]) * x[i]);
            }
            if (block->dot) QVERIFY(std::fabs(block->dot(w.bytes.data(), x.data(), n) - exact) <= 1e-5 * magnitude);
            ++checked;
        }
        if (checked == 0) QSKIP("this CPU has no AVX2+FMA");
    }

    // Decode's 16-bit activations: each block within half a step (1/65534 of its largest
    // value) of the float, with its float sum, the same from every set; each set's dots (odd block counts for the
    // tails) against a double sum over the rounded activations, and within the rounding's
    // reach of the float product.
    void sixteen_bit_activation_dots_match_double_reference() {
        std::mt19937_64 rng(fresh_seed("16-bit activation dots"));
        const auto sets = kernel_sets();
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q8_0})
            for (int n : {32, 96, 576, 1536}) {
                const auto w = make_matrix(rng, type, 1, n);
                auto x = random_floats(rng, n);
                x[3] = 0.0f;
                if (n > 64) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);   // an all-zero block
                std::vector<engine::cpu::Q16Block> xq(static_cast<size_t>(n / 32));
                engine::cpu::quantize_activations_q16(x.data(), n, xq.data());
                double rounded = 0.0, exact = 0.0, magnitude = 0.0, reach = 0.0;
                for (int b = 0; b < n / 32; ++b) {
                    double amax = 0.0, sum = 0.0, wsum = 0.0;
                    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(double(x[b * 32 + j])));
                    for (int j = 0; j < 32; ++j) {
                        const int i = b * 32 + j;
                        const double xr = double(xq[b].d) * xq[b].q[j];
                        QVERIFY(std::fabs(xr - x[i]) <= amax / 65534.0 * 1.01 + 1e-30);   // half a step, and float rounding
                        rounded += double(w.decoded[i]) * xr;
                        exact += double(w.decoded[i]) * x[i];
                        magnitude += std::fabs(double(w.decoded[i]) * x[i]);
                        sum += x[i];
                        wsum += std::fabs(double(w.decoded[i]));
                    }
                    QVERIFY(std::fabs(xq[b].sum - sum) <= 1e-5 * (1.0 + 32.0 * amax));
                    // Q4_1's offset m multiplies the float sum, not the rounded one.
                    if (type == GgmlType::Q4_1) {
                        const double m = engine::cpu::load_half(w.bytes.data() + b * 20 + 2);
                        for (int j = 0; j < 32; ++j) rounded += m * (x[b * 32 + j] - double(xq[b].d) * xq[b].q[j]);
                    }
                    reach += wsum * amax / 65534.0;
                }
                for (const auto* kernels : sets) {
                    std::vector<engine::cpu::Q16Block> own(xq.size());
                    kernels->quantize_q16(x.data(), n, own.data());
                    for (size_t b = 0; b < own.size(); ++b) {   // the same rounding in every set
                        QCOMPARE(own[b].d, xq[b].d);
                        QCOMPARE(own[b].sum, xq[b].sum);
                        QVERIFY2(std::equal(own[b].q, own[b].q + 32, xq[b].q), kernels->name);
                    }
                    const float got = kernels->q16_kernel(type)(w.bytes.data(), xq.data(), n / 32);
                    const QString what = QString("%1 %2 n=%3: %4 vs %5")
                                             .arg(kernels->name, engine::ggml_type_name(type).data()).arg(n).arg(got).arg(rounded);
                    QVERIFY2(std::fabs(got - rounded) <= 1e-5 * magnitude, qPrintable(what));
                    QVERIFY2(std::fabs(got - exact) <= 1e-5 * magnitude + reach, qPrintable(what));
                }
            }
    }

    // The attention helpers (one query against many keys, weighted sums of value rows), SIMD
    // and portable, against double sums; sizes cover the 4-key and 32-float tails.
    void attention_dot_kernels_match_double_reference() {
        std::mt19937_64 rng(fresh_seed("attention dot kernels"));
        const auto sets = kernel_sets();
        for (const auto* kernels : sets)
            for (int64_t n : {16, 20, 64, 72, 100, 128}) {
                const int64_t count = 11, stride = n + 5;
                const auto q = random_floats(rng, static_cast<size_t>(n));
                const auto k = random_floats(rng, static_cast<size_t>(count * stride));
                const auto a = random_floats(rng, static_cast<size_t>(count));
                std::vector<float> dots(count);
                kernels->f32_dots(q.data(), k.data(), stride, count, n, dots.data());
                std::vector<float> sums(static_cast<size_t>(n), 1.0f);   // accumulates onto what is there
                kernels->weighted_sum(a.data(), k.data(), stride, count, n, sums.data());
                for (int64_t j = 0; j < count; ++j) {
                    double exact = 0.0, magnitude = 0.0;
                    for (int64_t i = 0; i < n; ++i) {
                        exact += double(q[i]) * k[j * stride + i];
                        magnitude += std::fabs(double(q[i]) * k[j * stride + i]);
                    }
                    QVERIFY2(std::fabs(dots[j] - exact) <= 1e-5 * magnitude, kernels->name);
                }
                for (int64_t i = 0; i < n; ++i) {
                    double exact = 1.0, magnitude = 1.0;
                    for (int64_t j = 0; j < count; ++j) {
                        exact += double(a[j]) * k[j * stride + i];
                        magnitude += std::fabs(double(a[j]) * k[j * stride + i]);
                    }
                    QVERIFY2(std::fabs(sums[i] - exact) <= 1e-5 * magnitude, kernels->name);
                }
            }
    }

    // Prefill's scores against transposed keys, every set against double sums; query counts
    // and key counts cover the 4-query and 8/16/32-key tails, and outputs outside the asked
    // rectangle stay untouched.
    void transposed_score_kernels_match_double_reference() {
        std::mt19937_64 rng(fresh_seed("transposed scores"));
        const auto sets = kernel_sets();
        for (const auto* kernels : sets)
            for (const auto& [nq, nk, n] : {std::tuple{1, 1, 16}, {3, 7, 64}, {4, 16, 64}, {5, 33, 32}, {16, 64, 64}, {9, 50, 80},
                                                     // tiles of 6 and 12 queries with every remainder, full key tiles
                                                     {13, 32, 40}, {29, 48, 24}, {6, 16, 96}, {25, 31, 17}}) {
                const int64_t ldq = n + 3, ldk = nk + 6, ldo = nk + 2;
                const auto q = random_floats(rng, static_cast<size_t>(nq * ldq));
                const auto kt = random_floats(rng, static_cast<size_t>(n * ldk));
                std::vector<float> out(static_cast<size_t>(nq * ldo), 7.0f);
                kernels->f32_scores_t(q.data(), ldq, nq, kt.data(), ldk, nk, n, out.data(), ldo);
                for (int64_t i = 0; i < nq; ++i) {
                    for (int64_t j = 0; j < nk; ++j) {
                        double exact = 0.0, magnitude = 0.0;
                        for (int64_t d = 0; d < n; ++d) {
                            exact += double(q[i * ldq + d]) * kt[d * ldk + j];
                            magnitude += std::fabs(double(q[i * ldq + d]) * kt[d * ldk + j]);
                        }
                        QVERIFY2(std::fabs(out[i * ldo + j] - exact) <= 1e-5 * magnitude, kernels->name);
                    }
                    for (int64_t j = nk; j < ldo; ++j) QCOMPARE(out[i * ldo + j], 7.0f);
                }
            }
    }

    // Softmax terms: exp of each shifted score within 4 ulp of double, the max exact, the sum
    // to a float sum's rounding; scores far below the max (exp under FLT_MIN) give 0.
    void exp_terms_match_double_reference() {
        std::mt19937_64 rng(fresh_seed("exp terms"));
        std::uniform_real_distribution<float> spread(-40.0f, 40.0f);
        const auto sets = kernel_sets();
        for (const auto* kernels : sets)
            for (int64_t n : {1, 7, 8, 9, 100, 2049}) {
                std::vector<float> s(static_cast<size_t>(n));
                for (auto& v : s) v = spread(rng);
                if (n > 2) s[1] = -1e4f;   // far below: exp underflows to 0
                const std::vector<float> in = s;
                const engine::cpu::ExpTerms terms = kernels->exp_terms(s.data(), n);
                const float max_score = *std::max_element(in.begin(), in.end());
                QCOMPARE(terms.max, max_score);
                double sum = 0.0;
                for (int64_t j = 0; j < n; ++j) {
                    const float shifted = in[j] - max_score;   // the float difference is the kernel's input
                    const double exact = std::exp(double(shifted));
                    sum += exact;
                    QVERIFY2(std::fabs(s[j] - exact) <= 4.8e-7 * exact + 1e-37, kernels->name);
                }
                // A float sum of n positive terms is within (n - 1) half-ulps of the exact sum
                // of what it adds (the portable set adds one by one: 2049 terms can drift past 1e-6).
                const double sum_bound = (4.8e-7 + double(n - 1) * FLT_EPSILON / 2) * sum;
                QVERIFY2(std::fabs(terms.sum - sum) <= sum_bound, kernels->name);
            }
    }

    // The transpose is a copy with one rounding (the scale): every set gives exactly the
    // definition's values, on shapes with and without whole 8×8 blocks and with gaps between
    // rows, and leaves the destination's padding alone.
    void transpose_matches_definition() {
        std::mt19937_64 rng(fresh_seed("transpose"));
        std::uniform_real_distribution<float> values(-3.0f, 3.0f);
        const auto sets = kernel_sets();
        const float sentinel = -12345.0f;
        for (const auto* kernels : sets)
            for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {8, 8}, {7, 9}, {32, 64}, {33, 17}, {256, 64}, {13, 576}})
                for (float scale : {1.0f, 0.125f, 0.3f}) {
                    const int64_t lds = cols + 3, ldd = rows + 5;
                    std::vector<float> src(static_cast<size_t>(rows * lds));
                    for (auto& v : src) v = values(rng);
                    std::vector<float> dst(static_cast<size_t>(cols * ldd), sentinel);
                    kernels->transpose(src.data(), lds, rows, cols, scale, dst.data(), ldd);
                    for (int64_t c = 0; c < cols; ++c)
                        for (int64_t r = 0; r < ldd; ++r) {
                            const float got = dst[static_cast<size_t>(c * ldd + r)];
                            const float want = r < rows ? scale * src[static_cast<size_t>(r * lds + c)] : sentinel;
                            QVERIFY2(got == want, kernels->name);
                        }
                }
    }

    // Prefill-sized (query tiles per head), decode-sized (one task per KV group, blocks of
    // keys shared by the group's heads) and past-only calls against a double reference.
    void attention_matches_double_reference_data() {
        QTest::addColumn<int64_t>("n_heads");
        QTest::addColumn<int64_t>("hd");
        QTest::addColumn<int64_t>("n_cur");
        QTest::addColumn<int64_t>("q_offset");
        QTest::addColumn<int64_t>("n_q");
        QTest::addColumn<int64_t>("past0");
        QTest::addColumn<int64_t>("past1");
        QTest::addColumn<QString>("kv_type");   // what the cached rows are kept as
        QTest::newRow("prefill") << int64_t{6} << int64_t{16} << int64_t{11} << int64_t{4} << int64_t{7} << int64_t{5} << int64_t{3} << "f32";
        QTest::newRow("decode") << int64_t{6} << int64_t{64} << int64_t{1} << int64_t{0} << int64_t{1} << int64_t{300} << int64_t{129} << "f32";
        QTest::newRow("decode-pair") << int64_t{6} << int64_t{64} << int64_t{3} << int64_t{1} << int64_t{2} << int64_t{70} << int64_t{0} << "f32";
        QTest::newRow("past-only") << int64_t{4} << int64_t{24} << int64_t{0} << int64_t{0} << int64_t{3} << int64_t{150} << int64_t{9} << "f32";
        // Several tiles of queries per head, each summing key weights in a row of its own.
        QTest::newRow("prefill, many tiles") << int64_t{6} << int64_t{64} << int64_t{70} << int64_t{20} << int64_t{50} << int64_t{90} << int64_t{33} << "f32";
        // Long decodes split each group's keys into parts merged after (without key weights):
        // heads of different lengths, and one with fewer keys than parts.
        for (const char* type : {"f32", "f16", "q8_0"}) {
            const QByteArray t(type);
            QTest::newRow("long decode " + t) << int64_t{6} << int64_t{64} << int64_t{1} << int64_t{0} << int64_t{1} << int64_t{1500} << int64_t{700} << QString(type);
            QTest::newRow("long decode, a short head " + t) << int64_t{6} << int64_t{64} << int64_t{1} << int64_t{0} << int64_t{1} << int64_t{1100} << int64_t{0} << QString(type);
        }
        for (const char* type : {"f16", "q8_0"}) {
            const QByteArray t(type);
            QTest::newRow("prefill " + t) << int64_t{6} << int64_t{32} << int64_t{11} << int64_t{4} << int64_t{7} << int64_t{45} << int64_t{3} << QString(type);
            QTest::newRow("decode " + t) << int64_t{6} << int64_t{64} << int64_t{1} << int64_t{0} << int64_t{1} << int64_t{300} << int64_t{129} << QString(type);
            QTest::newRow("past-only " + t) << int64_t{4} << int64_t{32} << int64_t{0} << int64_t{0} << int64_t{1} << int64_t{150} << int64_t{9} << QString(type);
        }
    }

    void attention_matches_double_reference() {
        QFETCH(int64_t, n_heads);
        QFETCH(int64_t, hd);
        QFETCH(int64_t, n_cur);
        QFETCH(int64_t, q_offset);
        QFETCH(int64_t, n_q);
        QFETCH(int64_t, past0);
        QFETCH(int64_t, past1);
        QFETCH(QString, kv_type);
        std::mt19937_64 rng(fresh_seed("attention"));
        const int64_t n_kv = 2;
        const int64_t past_len[2] = {past0, past1};   // heads keep different numbers of tokens
        const engine::GgmlType type = engine::parse_kv_type(kv_type.toStdString());
        std::vector<std::vector<float>> past_k, past_v;
        std::vector<engine::KvRows> rows_k, rows_v;
        std::vector<engine::KvSpan> past;
        for (int64_t h = 0; h < n_kv; ++h) {
            past_k.push_back(random_floats(rng, static_cast<size_t>(past_len[h] * hd)));
            past_v.push_back(random_floats(rng, static_cast<size_t>(past_len[h] * hd)));
            rows_k.emplace_back(type, hd);
            rows_v.emplace_back(type, hd);
            for (int64_t j = 0; j < past_len[h]; ++j) {
                rows_k.back().push_back(past_k[h].data() + j * hd);
                rows_v.back().push_back(past_v[h].data() + j * hd);
            }
            // The reference attends to exactly the values the typed rows hold (plain decoding).
            if (past_len[h] > 0) {
                engine::dequantize_row(type, rows_k.back().row(0), past_k[h].data(), past_len[h] * hd);
                engine::dequantize_row(type, rows_v.back().row(0), past_v[h].data(), past_len[h] * hd);
            }
        }
        for (int64_t h = 0; h < n_kv; ++h) {
            if (type == engine::GgmlType::F32) {
                past.push_back({past_k[h].data(), past_v[h].data(), past_len[h], hd});
                continue;
            }
            engine::KvSpan typed;
            typed.n = past_len[h];
            typed.type = type;
            typed.k_rows = rows_k[h].row(0);
            typed.v_rows = rows_v[h].row(0);
            typed.row_bytes = rows_k[h].row_bytes();
            past.push_back(typed);
        }
        const auto q = random_floats(rng, static_cast<size_t>(n_q * n_heads * hd));
        const auto k = random_floats(rng, static_cast<size_t>(n_cur * n_kv * hd));
        const auto v = random_floats(rng, static_cast<size_t>(n_cur * n_kv * hd));
        std::vector<float> out(q.size()), key_attention(static_cast<size_t>(n_heads * std::max<int64_t>(n_cur, 1)), 0.0f);

        auto backend = engine::make_cpu_backend(2);
        engine::AttentionArgs a;
        a.q = q.data();
        a.n_q = n_q;
        a.n_heads = n_heads;
        a.n_kv_heads = n_kv;
        a.head_dim = hd;
        a.past = past;
        a.k = k.data();
        a.v = v.data();
        a.n_cur = n_cur;
        a.q_offset = q_offset;
        a.scale = 0.25f;
        a.out = out.data();
        a.key_attention = n_cur > 0 ? key_attention.data() : nullptr;
        a.key_attention_stride = n_cur;
        std::vector<float> past_attention0(static_cast<size_t>(past_len[0]), 0.0f), past_attention1(static_cast<size_t>(past_len[1]), 0.0f);
        float* past_attention[2] = {past_attention0.data(), past_attention1.data()};
        a.past_attention = past_attention;
        backend->attention(a);
        // Without key weights the work is split differently; the outputs must not change.
        std::vector<float> out_plain(q.size());
        engine::AttentionArgs plain = a;
        plain.out = out_plain.data();
        plain.key_attention = nullptr;
        plain.past_attention = nullptr;
        backend->attention(plain);
        // The same terms summed in another order (a long decode's keys in parts, merged after):
        // float rounding of the order, growing with the keys (at 1,500 keys up to 8e-7 in 180
        // runs, once past 1e-6), against the O(0.1) a wrong part or merge would move an output.
        float worst_split = 0.0f;
        for (size_t i = 0; i < out.size(); ++i) worst_split = std::max(worst_split, std::fabs(out_plain[i] - out[i]) / (1.0f + std::fabs(out[i])));
        qInfo("split against unsplit: largest relative difference %.3g", double(worst_split));
        QVERIFY2(worst_split < 1e-5f, qPrintable(QString::number(worst_split)));

        std::vector<double> expected_key_attention(key_attention.size(), 0.0);
        std::vector<std::vector<double>> expected_past{std::vector<double>(static_cast<size_t>(past_len[0]), 0.0),
                                                       std::vector<double>(static_cast<size_t>(past_len[1]), 0.0)};
        for (int64_t i = 0; i < n_q; ++i)
            for (int64_t h = 0; h < n_heads; ++h) {
                const int64_t kvh = h / (n_heads / n_kv);
                std::vector<const float*> keys, values;
                for (int64_t j = 0; j < past_len[kvh]; ++j) {
                    keys.push_back(past_k[kvh].data() + j * hd);
                    values.push_back(past_v[kvh].data() + j * hd);
                }
                for (int64_t j = 0; n_cur > 0 && j <= q_offset + i; ++j) {
                    keys.push_back(k.data() + (j * n_kv + kvh) * hd);
                    values.push_back(v.data() + (j * n_kv + kvh) * hd);
                }
                std::vector<double> w(keys.size());
                double sum = 0.0;
                for (size_t j = 0; j < keys.size(); ++j) {
                    double dot = 0.0;
                    for (int64_t d = 0; d < hd; ++d) dot += double(q[(i * n_heads + h) * hd + d]) * keys[j][d];
                    sum += (w[j] = std::exp(dot * 0.25));
                }
                for (int64_t d = 0; d < hd; ++d) {
                    double o = 0.0;
                    for (size_t j = 0; j < keys.size(); ++j) o += w[j] / sum * values[j][d];
                    QVERIFY(std::fabs(out[(i * n_heads + h) * hd + d] - o) < 1e-5 * (1.0 + std::fabs(o)));
                    QVERIFY(std::fabs(out_plain[(i * n_heads + h) * hd + d] - o) < 1e-5 * (1.0 + std::fabs(o)));
                }
                for (int64_t j = 0; n_cur > 0 && j <= q_offset + i; ++j)
                    expected_key_attention[h * n_cur + j] += w[past_len[kvh] + j] / sum;
                for (int64_t j = 0; j < past_len[kvh]; ++j) expected_past[kvh][j] += w[j] / sum;
            }
        for (size_t i = 0; i < key_attention.size(); ++i)
            QVERIFY(std::fabs(key_attention[i] - expected_key_attention[i]) < 1e-5);
        for (int64_t h = 0; h < n_kv; ++h)
            for (int64_t j = 0; j < past_len[h]; ++j)
                QVERIFY(std::fabs(past_attention[h][j] - expected_past[h][j]) < 1e-5);
    }

    void thread_pool_runs_every_task_once_and_rethrows() {
        engine::cpu::ThreadPool pool(3);
        QCOMPARE(pool.size(), 3);
        std::atomic<bool> bad_thread_index{false};
        for (int round = 0; round < 50; ++round) {
            std::vector<std::atomic<int>> hits(1000);
            pool.parallel_for(1000, [&](int64_t t, int thread) {
                if (thread < 0 || thread >= 3) bad_thread_index = true;
                hits[static_cast<size_t>(t)]++;
            });
            for (auto& h : hits) QCOMPARE(h.load(), 1);
        }
        QVERIFY(!bad_thread_index);
        QVERIFY_THROWS_EXCEPTION(engine::Error, pool.parallel_for(100, [](int64_t t, int) {
            if (t == 42) throw engine::Error("task 42 failed");
        }));
        int after = 0;
        pool.parallel_for(1, [&](int64_t, int) { ++after; });   // still usable
        QCOMPARE(after, 1);
    }

    void embedding_rejects_out_of_range_token() {
        std::mt19937_64 rng(1);
        const auto table = make_matrix(rng, GgmlType::Q8_0, 10, 64);
        auto backend = engine::make_cpu_backend(1);
        std::vector<float> out(64);
        const int32_t bad[1] = {10};
        QVERIFY_THROWS_EXCEPTION(engine::Error, backend->embed(table.view(), bad, out.data()));
        const int32_t good[1] = {9};
        backend->embed(table.view(), good, out.data());
        for (int i = 0; i < 64; ++i) QCOMPARE(out[i], table.decoded[9 * 64 + i]);
    }
};

QTEST_GUILESS_MAIN(TestForwardKernels)
#include "test_forward_kernels.moc"
