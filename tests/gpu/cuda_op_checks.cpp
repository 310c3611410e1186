#include "cuda_op_checks.h"

#include "engine/backend.h"
#include "engine/quant/ggml_type.h"
#include "engine/quant/quantize.h"

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>

namespace gpu_check {
namespace {

std::mt19937& rng() {
    static std::mt19937 r(std::random_device{}());
    return r;
}

std::vector<float> random_floats(size_t n, float scale = 1.0f) {
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng());
    return v;
}

double worst_error(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const double e = std::abs(double(a[i]) - double(b[i])) / (std::abs(double(b[i])) + 1.0);
        if (!(e <= worst)) worst = e;   // NaN counts as the worst
    }
    return worst;
}

struct CallFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A device copy of host data, freed at scope end.
class DeviceBuffer {
public:
    DeviceBuffer(const GlimpseCudaApi& api, size_t bytes) : api_(api) {
        if (api_.alloc(bytes, &ptr_) != 0) throw CallFailed(api_.last_error());
    }
    template <class T>
    DeviceBuffer(const GlimpseCudaApi& api, const std::vector<T>& host) : DeviceBuffer(api, host.size() * sizeof(T)) {
        if (api_.upload(ptr_, host.data(), host.size() * sizeof(T)) != 0) throw CallFailed(api_.last_error());
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    ~DeviceBuffer() { api_.release(ptr_); }
    template <class T>
    T* as() const { return static_cast<T*>(ptr_); }
    template <class T>
    std::vector<T> read(size_t n) const {
        std::vector<T> out(n);
        if (api_.synchronize() != 0 || api_.download(out.data(), ptr_, n * sizeof(T)) != 0) throw CallFailed(api_.last_error());
        return out;
    }

private:
    const GlimpseCudaApi& api_;
    void* ptr_ = nullptr;
};

class Checks {
public:
    explicit Checks(const GlimpseCudaApi& api) : api_(api), cpu_(engine::make_cpu_backend(0)) {}

    // Runs `body`, which returns the worst error, and records it against `tolerance`.
    void run(const std::string& name, double tolerance, const std::function<double()>& body) {
        OpCheck c{name, false, 0.0, tolerance, {}};
        try {
            c.error = body();
            c.passed = c.error <= tolerance;
        } catch (const std::exception& e) {
            c.message = e.what();
        }
        results.push_back(c);
    }
    void call(int status) const {
        if (status != 0) throw CallFailed(api_.last_error());
    }

    std::vector<OpCheck> results;
    const GlimpseCudaApi& api_;
    std::unique_ptr<engine::Backend> cpu_;
};

}  // namespace

std::vector<OpCheck> run_cuda_op_checks(const GlimpseCudaApi& api) {
    Checks c(api);
    auto& cpu = *c.cpu_;
    const int64_t rows = 7, dim = 576;
    const auto x = random_floats(size_t(rows * dim)), w = random_floats(size_t(dim)), y = random_floats(size_t(rows * dim));

    // Float on both sides; only the summation order differs.
    c.run("rmsnorm", 1e-5, [&] {
        DeviceBuffer dx(api, x), dw(api, w), dout(api, x.size() * 4);
        std::vector<float> expect(x.size());
        cpu.rmsnorm(x.data(), {w.data(), dim}, rows, dim, 1e-5f, expect.data());
        c.call(api.rmsnorm(dx.as<float>(), dw.as<float>(), rows, dim, 1e-5f, dout.as<float>()));
        return worst_error(dout.read<float>(x.size()), expect);
    });
    c.run("swiglu", 1e-5, [&] {
        DeviceBuffer dx(api, x), dy(api, y), dout(api, x.size() * 4);
        std::vector<float> expect(x.size());
        cpu.swiglu(x.data(), y.data(), int64_t(x.size()), expect.data());
        c.call(api.swiglu(dx.as<float>(), dy.as<float>(), int64_t(x.size()), dout.as<float>()));
        return worst_error(dout.read<float>(x.size()), expect);
    });
    c.run("add", 0.0, [&] {
        DeviceBuffer dx(api, x), dy(api, y);
        auto expect = x;
        cpu.add(expect.data(), y.data(), int64_t(x.size()));
        c.call(api.add(dx.as<float>(), dy.as<float>(), int64_t(x.size())));
        return worst_error(dx.read<float>(x.size()), expect);
    });
    c.run("softmax", 1e-6, [&] {
        DeviceBuffer dy(api, y);
        auto expect = y;
        for (int64_t r = 0; r < rows; ++r) cpu.softmax(expect.data() + r * dim, dim);
        c.call(api.softmax_rows(dy.as<float>(), rows, dim));
        return worst_error(dy.read<float>(y.size()), expect);
    });

    // RoPE at positions up to 10^5 in both pairings; angles in double on both sides.
    for (const auto style : {engine::RopeStyle::Normal, engine::RopeStyle::Neox})
        c.run(style == engine::RopeStyle::Normal ? "rope (adjacent pairs)" : "rope (halves)", 1e-5, [&] {
            const int64_t n = 5, heads = 9, head_dim = 64, pairs = 32;
            const std::vector<int32_t> positions = {0, 1, 777, 32767, 100000};
            std::vector<float> freqs(pairs);
            for (int64_t i = 0; i < pairs; ++i) freqs[size_t(i)] = float(std::pow(10000.0, -2.0 * double(i) / head_dim));
            auto v = random_floats(size_t(n * heads * head_dim));
            DeviceBuffer dv(api, v), dp(api, positions), df(api, freqs);
            c.call(api.rope(dv.as<float>(), n, heads, head_dim, dp.as<int32_t>(), df.as<float>(), pairs,
                            style == engine::RopeStyle::Normal ? 0 : 1));
            cpu.rope(v.data(), n, heads, head_dim, positions, freqs, style);
            return worst_error(dv.read<float>(v.size()), v);
        });

    // Each weight format dequantized on the GPU (exactly the CPU's floats) and multiplied
    // with cuBLAS, against the CPU backend's matmul of the same bytes: summation orders
    // differ over 1,536 products.
    for (const auto type : {engine::GgmlType::F32, engine::GgmlType::F16, engine::GgmlType::Q4_0, engine::GgmlType::Q4_1,
                            engine::GgmlType::Q8_0}) {
        const int64_t out_rows = 96, cols = 1536, n = 11;
        const auto dense = random_floats(size_t(out_rows * cols), 0.05f);
        const size_t row_bytes = engine::ggml_row_size(type, cols);
        std::vector<uint8_t> bytes(size_t(out_rows) * row_bytes);
        std::vector<float> decoded(dense.size());
        for (int64_t r = 0; r < out_rows; ++r) {
            engine::quantize_row(type, dense.data() + r * cols, bytes.data() + size_t(r) * row_bytes, cols);
            engine::dequantize_row(type, bytes.data() + size_t(r) * row_bytes, decoded.data() + r * cols, cols);
        }
        const std::string name(engine::ggml_type_name(type));
        DeviceBuffer dbytes(api, bytes), dweights(api, dense.size() * 4);
        c.run("dequantize " + name, 0.0, [&] {
            c.call(api.dequantize(dbytes.as<void>(), int(type), out_rows, cols, dweights.as<float>()));
            return worst_error(dweights.read<float>(dense.size()), decoded);
        });
        c.run("matmul " + name, 1e-4, [&] {
            const auto xin = random_floats(size_t(n * cols));
            std::vector<float> expect(size_t(n * out_rows));
            cpu.matmul({bytes.data(), type, out_rows, cols}, xin.data(), n, expect.data());
            DeviceBuffer dx(api, xin), dout(api, expect.size() * 4);
            c.call(api.matmul_f32(dweights.as<float>(), out_rows, cols, dx.as<float>(), n, dout.as<float>()));
            return worst_error(dout.read<float>(expect.size()), expect);
        });
    }

    // Causal grouped-query attention of a 300-token prompt.
    const int64_t n = 300, heads = 9, kv_heads = 3, head_dim = 64;
    const float scale = 1.0f / 8.0f;
    c.run("attention prefill", 1e-4, [&] {
        const auto q = random_floats(size_t(n * heads * head_dim)), k = random_floats(size_t(n * kv_heads * head_dim)),
                   v = random_floats(size_t(n * kv_heads * head_dim));
        std::vector<float> expect(q.size());
        engine::AttentionArgs args;
        args.q = q.data(), args.n_q = n, args.n_heads = heads, args.n_kv_heads = kv_heads, args.head_dim = head_dim;
        args.k = k.data(), args.v = v.data(), args.n_cur = n, args.q_offset = 0, args.scale = scale, args.out = expect.data();
        cpu.attention(args);
        DeviceBuffer dq(api, q), dk(api, k), dv(api, v), dout(api, q.size() * 4);
        c.call(api.attention_prefill(dq.as<float>(), dk.as<float>(), dv.as<float>(), n, heads, kv_heads, head_dim, scale,
                                     dout.as<float>()));
        return worst_error(dout.read<float>(q.size()), expect);
    });

    // One query over KV heads that keep different numbers of tokens (100, 200, 300).
    c.run("attention decode", 1e-4, [&] {
        std::vector<std::vector<float>> hk, hv;
        std::vector<engine::KvSpan> past;
        for (int64_t g = 0; g < kv_heads; ++g) {
            hk.push_back(random_floats(size_t(100 * (g + 1) * head_dim)));
            hv.push_back(random_floats(size_t(100 * (g + 1) * head_dim)));
        }
        for (int64_t g = 0; g < kv_heads; ++g)
            past.push_back({hk[size_t(g)].data(), hv[size_t(g)].data(), 100 * (g + 1), head_dim});
        const auto q = random_floats(size_t(heads * head_dim));
        std::vector<float> expect(q.size());
        engine::AttentionArgs one;
        one.q = q.data(), one.n_q = 1, one.n_heads = heads, one.n_kv_heads = kv_heads, one.head_dim = head_dim;
        one.past = past, one.n_cur = 0, one.scale = scale, one.out = expect.data();
        cpu.attention(one);
        std::vector<std::unique_ptr<DeviceBuffer>> keep;
        std::vector<GlimpseCudaKvHead> on_gpu;
        for (int64_t g = 0; g < kv_heads; ++g) {
            keep.push_back(std::make_unique<DeviceBuffer>(api, hk[size_t(g)]));
            keep.push_back(std::make_unique<DeviceBuffer>(api, hv[size_t(g)]));
            on_gpu.push_back({keep[keep.size() - 2]->as<float>(), keep.back()->as<float>(), 100 * (g + 1)});
        }
        DeviceBuffer dheads(api, on_gpu.size() * sizeof(GlimpseCudaKvHead));
        c.call(api.upload(dheads.as<void>(), on_gpu.data(), on_gpu.size() * sizeof(GlimpseCudaKvHead)));
        DeviceBuffer dq(api, q), dout(api, q.size() * 4);
        c.call(api.attention_decode(dq.as<float>(), dheads.as<GlimpseCudaKvHead>(), heads, kv_heads, head_dim, 300, scale,
                                    dout.as<float>()));
        return worst_error(dout.read<float>(q.size()), expect);
    });

    // SnapKV's window scores against a double-precision reference.
    c.run("window scores", 1e-4, [&] {
        const int64_t tokens = 200, h_n = 6, g_n = 2, d_n = 32, window = 16;
        const float s = 1.0f / std::sqrt(float(d_n));
        const auto q = random_floats(size_t(tokens * h_n * d_n)), k = random_floats(size_t(tokens * g_n * d_n));
        const int64_t prefix = tokens - window, group = h_n / g_n;
        std::vector<double> expect(size_t(g_n * prefix), 0.0);
        for (int64_t wq = 0; wq < window; ++wq)
            for (int64_t h = 0; h < h_n; ++h) {
                const int64_t token = prefix + wq, g = h / group;
                std::vector<double> sc(size_t(token + 1));
                double m = -1e300, l = 0.0;
                for (int64_t j = 0; j <= token; ++j) {
                    double dot = 0;
                    for (int64_t d = 0; d < d_n; ++d)
                        dot += double(q[size_t((token * h_n + h) * d_n + d)]) * k[size_t((j * g_n + g) * d_n + d)];
                    sc[size_t(j)] = dot * s;
                    m = std::max(m, sc[size_t(j)]);
                }
                for (double v : sc) l += std::exp(v - m);
                for (int64_t j = 0; j < prefix; ++j) expect[size_t(g * prefix + j)] += std::exp(sc[size_t(j)] - m) / l;
            }
        DeviceBuffer dq(api, q), dk(api, k), dscores(api, expect.size() * 4);
        c.call(api.window_scores(dq.as<float>(), dk.as<float>(), tokens, h_n, g_n, d_n, window, s, dscores.as<float>()));
        return worst_error(dscores.read<float>(expect.size()), std::vector<float>(expect.begin(), expect.end()));
    });

    // Shapes the kernels do not take are refused with a message, not run.
    c.run("bad shapes refused", 0.0, [&] {
        const bool heads_refused = api.attention_prefill(nullptr, nullptr, nullptr, 4, 9, 4, 64, 1.0f, nullptr) == -1 &&
                                   std::string(api.last_error()).find("KV heads") != std::string::npos;
        const bool type_refused = api.dequantize(nullptr, 14 /* Q6_K */, 1, 256, nullptr) == -1 &&
                                  std::string(api.last_error()).find("not supported") != std::string::npos;
        return heads_refused && type_refused ? 0.0 : 1.0;
    });
    return c.results;
}

}  // namespace gpu_check
