// The CPU implementation of the Backend op set.

#include "engine/backend.h"
#include "engine/cpu/attention.h"
#include "engine/cpu/matmul.h"
#include "engine/cpu/row_decode.h"
#include "engine/cpu/thread_pool.h"
#include "engine/error.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace engine {
namespace {

class CpuBackend final : public Backend {
public:
    CpuBackend(int threads, bool q8_activations) : pool_(threads) { matmul_options_.q8_activations = q8_activations; }

    int threads() const override { return pool_.size(); }

    void embed(const WeightMatrix& table, std::span<const int32_t> tokens, float* out) override {
        for (int32_t t : tokens)
            if (t < 0 || t >= table.rows)
                throw Error("token id " + std::to_string(t) + " is outside the vocabulary of " +
                            std::to_string(table.rows) + " tokens");
        pool_.parallel_for(static_cast<int64_t>(tokens.size()), [&](int64_t i, int) {
            cpu::decode_row(table.type, table.row(tokens[static_cast<size_t>(i)]), out + i * table.cols, table.cols);
        });
    }

    void rmsnorm(const float* x, const WeightVector& weight, int64_t n_rows, int64_t dim, float eps,
                 float* out) override {
        for_rows(n_rows, [&](int64_t r) {
            const float* xr = x + r * dim;
            float* o = out + r * dim;
            double ss = 0.0;
            for (int64_t i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
            const float inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(dim) + eps));
            for (int64_t i = 0; i < dim; ++i) o[i] = xr[i] * inv * weight.data[i];
        });
    }

    void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out) override {
        cpu::matmul(pool_, matmul_scratch_, w, x, n_rows, out, matmul_options_);
    }

    void add_bias(float* x, const WeightVector& bias, int64_t n_rows) override {
        for (int64_t r = 0; r < n_rows; ++r)
            for (int64_t i = 0; i < bias.size; ++i) x[r * bias.size + i] += bias.data[i];
    }

    void rope(float* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, std::span<const int32_t> positions,
              std::span<const float> freqs, RopeStyle style) override {
        const int64_t pairs = static_cast<int64_t>(freqs.size());
        for_rows(n_rows, [&](int64_t r) {
            const double pos = positions[static_cast<size_t>(r)];
            for (int64_t i = 0; i < pairs; ++i) {
                const double angle = pos * freqs[static_cast<size_t>(i)];
                const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
                const int64_t a = style == RopeStyle::Normal ? 2 * i : i;
                const int64_t b = style == RopeStyle::Normal ? 2 * i + 1 : i + pairs;
                for (int64_t h = 0; h < n_heads; ++h) {
                    float* v = x + (r * n_heads + h) * head_dim;
                    const float x0 = v[a], x1 = v[b];
                    v[a] = x0 * c - x1 * s;
                    v[b] = x0 * s + x1 * c;
                }
            }
        });
    }

    void attention(const AttentionArgs& args) override { cpu::attention(pool_, args, attention_scratch_); }

    void swiglu(const float* gate, const float* up, int64_t n, float* out) override {
        for_spans(n, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
        });
    }

    void add(float* x, const float* y, int64_t n) override {
        for_spans(n, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; ++i) x[i] += y[i];
        });
    }

    void softmax(float* x, int64_t n) override {
        if (n <= 0) return;
        const float m = *std::max_element(x, x + n);
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            x[i] = std::exp(x[i] - m);
            sum += x[i];
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t i = 0; i < n; ++i) x[i] *= inv;
    }

    std::vector<int32_t> top_k(const float* x, int64_t n, int64_t k) override {
        k = std::clamp<int64_t>(k, 0, n);
        std::vector<int32_t> idx(static_cast<size_t>(n));
        std::iota(idx.begin(), idx.end(), 0);
        std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                          [&](int32_t a, int32_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
        idx.resize(static_cast<size_t>(k));
        return idx;
    }

private:
    // Row-wise work is cheap; only spread it over threads when there are many rows.
    template <class F>
    void for_rows(int64_t n_rows, F&& f) {
        if (n_rows < 64) {
            for (int64_t r = 0; r < n_rows; ++r) f(r);
            return;
        }
        constexpr int64_t kRows = 16;
        pool_.parallel_for((n_rows + kRows - 1) / kRows, [&](int64_t task, int) {
            for (int64_t r = task * kRows; r < std::min(n_rows, (task + 1) * kRows); ++r) f(r);
        });
    }

    // Elementwise work over n values, in spans of 16K once there is enough to share.
    template <class F>
    void for_spans(int64_t n, F&& f) {
        constexpr int64_t kSpan = 16384;
        if (n <= kSpan) return f(int64_t{0}, n);
        pool_.parallel_for((n + kSpan - 1) / kSpan, [&](int64_t task, int) {
            f(task * kSpan, std::min(n, (task + 1) * kSpan));
        });
    }

    cpu::ThreadPool pool_;
    cpu::MatmulScratch matmul_scratch_;
    cpu::MatmulOptions matmul_options_;
    cpu::AttentionScratch attention_scratch_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, bool q8_activations) {
    return std::make_unique<CpuBackend>(threads, q8_activations);
}

}  // namespace engine
