#include "engine/lookahead/lookahead_ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define GLIMPSE_LOOKAHEAD_AVX2 1
#endif

namespace engine::lookahead {
namespace {

// Four independent sums: a single running sum makes every add wait for the one before.
template <class W>
double dot_impl(const W* w, const double* x, int64_t n) {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    int64_t c = 0;
    for (; c + 4 <= n; c += 4) {
        a0 += static_cast<double>(w[c]) * x[c];
        a1 += static_cast<double>(w[c + 1]) * x[c + 1];
        a2 += static_cast<double>(w[c + 2]) * x[c + 2];
        a3 += static_cast<double>(w[c + 3]) * x[c + 3];
    }
    for (; c < n; ++c) a0 += static_cast<double>(w[c]) * x[c];
    return (a0 + a1) + (a2 + a3);
}

template <class W>
void axpy_impl(double g, const W* w, int64_t n, double* y) {
    for (int64_t c = 0; c < n; ++c) y[c] += g * static_cast<double>(w[c]);
}

#ifdef GLIMPSE_LOOKAHEAD_AVX2
// The trainer's hot loops, 4 doubles at a time with FMA (the dense matrices are float and
// widened on load). Chosen at run time; the portable loops above are the fallback.
#define GLIMPSE_AVX2 __attribute__((target("avx2,fma")))

GLIMPSE_AVX2 inline __m256d load4(const float* w) { return _mm256_cvtps_pd(_mm_loadu_ps(w)); }
GLIMPSE_AVX2 inline __m256d load4(const double* w) { return _mm256_loadu_pd(w); }

template <class W>
GLIMPSE_AVX2 double dot_avx2(const W* w, const double* x, int64_t n) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        a0 = _mm256_fmadd_pd(load4(w + c), _mm256_loadu_pd(x + c), a0);
        a1 = _mm256_fmadd_pd(load4(w + c + 4), _mm256_loadu_pd(x + c + 4), a1);
    }
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, _mm256_add_pd(a0, a1));
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; c < n; ++c) sum += static_cast<double>(w[c]) * x[c];
    return sum;
}

template <class W>
GLIMPSE_AVX2 void axpy_avx2(double g, const W* w, int64_t n, double* y) {
    const __m256d gv = _mm256_set1_pd(g);
    int64_t c = 0;
    for (; c + 4 <= n; c += 4) _mm256_storeu_pd(y + c, _mm256_fmadd_pd(gv, load4(w + c), _mm256_loadu_pd(y + c)));
    for (; c < n; ++c) y[c] += g * static_cast<double>(w[c]);
}

// Four rows of X against two rows of W per pass over i: each loaded (and widened) value
// serves several products. R and C shrink at the edges.
template <int R, int C>
GLIMPSE_AVX2 void rows_dot_rows_block(const double* x, int64_t ldx, const float* w, int64_t ldw, int64_t n, double* y,
                                      int64_t ldy) {
    __m256d acc[R][C];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d wv[C];
#pragma GCC unroll 2
        for (int c = 0; c < C; ++c) wv[c] = load4(w + c * ldw + i);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m256d xv = _mm256_loadu_pd(x + r * ldx + i);
#pragma GCC unroll 2
            for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_pd(xv, wv[c], acc[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c) {
            alignas(32) double lanes[4];
            _mm256_store_pd(lanes, acc[r][c]);
            double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
            for (int64_t j = i; j < n; ++j) sum += x[r * ldx + j] * static_cast<double>(w[c * ldw + j]);
            y[r * ldy + c] = sum;
        }
}

template <int C>
GLIMPSE_AVX2 void rows_dot_rows_columns(const double* x, int64_t ldx, int64_t n_rows, const float* w, int64_t ldw,
                                        int64_t n, double* y, int64_t ldy) {
    int64_t t = 0;
    for (; t + 4 <= n_rows; t += 4) rows_dot_rows_block<4, C>(x + t * ldx, ldx, w, ldw, n, y + t * ldy, ldy);
    for (; t < n_rows; ++t) rows_dot_rows_block<1, C>(x + t * ldx, ldx, w, ldw, n, y + t * ldy, ldy);
}

// W's rows outermost: a pair of them stays in cache while every row of X passes.
GLIMPSE_AVX2 void rows_dot_rows_avx2(const double* x, int64_t ldx, int64_t n_rows, const float* w, int64_t ldw,
                                     int64_t n_out, int64_t n, double* y, int64_t ldy) {
    int64_t o = 0;
    for (; o + 2 <= n_out; o += 2) rows_dot_rows_columns<2>(x, ldx, n_rows, w + o * ldw, ldw, n, y + o, ldy);
    if (o < n_out) rows_dot_rows_columns<1>(x, ldx, n_rows, w + o * ldw, ldw, n, y + o, ldy);
}

// Eight values of i for R rows of DX held in registers while all of W's rows pass.
template <int R>
GLIMPSE_AVX2 void add_rows_times_matrix_block(const double* dy, int64_t lddy, const float* w, int64_t ldw, int64_t n_out,
                                              double* dx, int64_t lddx) {
    __m256d lo[R], hi[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        lo[r] = _mm256_loadu_pd(dx + r * lddx);
        hi[r] = _mm256_loadu_pd(dx + r * lddx + 4);
    }
    for (int64_t o = 0; o < n_out; ++o) {
        const __m256d w0 = load4(w + o * ldw), w1 = load4(w + o * ldw + 4);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m256d g = _mm256_broadcast_sd(dy + r * lddy + o);
            lo[r] = _mm256_fmadd_pd(g, w0, lo[r]);
            hi[r] = _mm256_fmadd_pd(g, w1, hi[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        _mm256_storeu_pd(dx + r * lddx, lo[r]);
        _mm256_storeu_pd(dx + r * lddx + 4, hi[r]);
    }
}

// Strips of eight columns outermost: W's strip stays in cache while every row of DX passes.
GLIMPSE_AVX2 void add_rows_times_matrix_avx2(const double* dy, int64_t lddy, int64_t n_rows, const float* w, int64_t ldw,
                                             int64_t n_out, int64_t n, double* dx, int64_t lddx) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int64_t t = 0;
        for (; t + 4 <= n_rows; t += 4) add_rows_times_matrix_block<4>(dy + t * lddy, lddy, w + i, ldw, n_out, dx + t * lddx + i, lddx);
        for (; t < n_rows; ++t) add_rows_times_matrix_block<1>(dy + t * lddy, lddy, w + i, ldw, n_out, dx + t * lddx + i, lddx);
    }
    if (i < n)
        for (int64_t t = 0; t < n_rows; ++t)
            for (int64_t o = 0; o < n_out; ++o) {
                const double g = dy[t * lddy + o];
                for (int64_t j = i; j < n; ++j) dx[t * lddx + j] += g * static_cast<double>(w[o * ldw + j]);
            }
}

bool has_avx2() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return yes;
}
#endif

template <class W>
double dot_any(const W* w, const double* x, int64_t n) {
#ifdef GLIMPSE_LOOKAHEAD_AVX2
    if (has_avx2()) return dot_avx2(w, x, n);
#endif
    return dot_impl(w, x, n);
}

// y += g * w over n values.
template <class W>
void axpy(double g, const W* w, int64_t n, double* y) {
#ifdef GLIMPSE_LOOKAHEAD_AVX2
    if (has_avx2()) return axpy_avx2(g, w, n, y);
#endif
    axpy_impl(g, w, n, y);
}

}  // namespace

void rows_dot_rows(const double* x, int64_t ldx, int64_t n_rows, const float* w, int64_t ldw, int64_t n_out, int64_t n,
                   double* y, int64_t ldy) {
#ifdef GLIMPSE_LOOKAHEAD_AVX2
    if (has_avx2()) return rows_dot_rows_avx2(x, ldx, n_rows, w, ldw, n_out, n, y, ldy);
#endif
    for (int64_t o = 0; o < n_out; ++o)
        for (int64_t t = 0; t < n_rows; ++t) y[t * ldy + o] = dot_impl(w + o * ldw, x + t * ldx, n);
}

void add_rows_times_matrix(const double* dy, int64_t lddy, int64_t n_rows, const float* w, int64_t ldw, int64_t n_out,
                           int64_t n, double* dx, int64_t lddx) {
#ifdef GLIMPSE_LOOKAHEAD_AVX2
    if (has_avx2()) return add_rows_times_matrix_avx2(dy, lddy, n_rows, w, ldw, n_out, n, dx, lddx);
#endif
    for (int64_t t = 0; t < n_rows; ++t)
        for (int64_t o = 0; o < n_out; ++o) axpy_impl(dy[t * lddy + o], w + o * ldw, n, dx + t * lddx);
}

double dot(const float* w, const double* x, int64_t n) { return dot_any(w, x, n); }
double dot(const double* w, const double* x, int64_t n) { return dot_any(w, x, n); }

void rmsnorm_forward(const double* x, const float* w, int64_t n_rows, int64_t dim, double eps, double* y) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const double* xr = x + r * dim;
        double ss = 0.0;
        for (int64_t i = 0; i < dim; ++i) ss += xr[i] * xr[i];
        const double inv = 1.0 / std::sqrt(ss / static_cast<double>(dim) + eps);
        for (int64_t i = 0; i < dim; ++i) y[r * dim + i] = xr[i] * inv * w[i];
    }
}

// With s = 1/rms and g = dy * w: dx = s * g - s^3 * x * (g . x) / dim.
void rmsnorm_backward(const double* x, const float* w, int64_t n_rows, int64_t dim, double eps, const double* dy,
                      double* dx) {
    for (int64_t r = 0; r < n_rows; ++r) {
        const double* xr = x + r * dim;
        const double* dyr = dy + r * dim;
        double ss = 0.0, gx = 0.0;
        for (int64_t i = 0; i < dim; ++i) {
            ss += xr[i] * xr[i];
            gx += dyr[i] * w[i] * xr[i];
        }
        const double s = 1.0 / std::sqrt(ss / static_cast<double>(dim) + eps);
        const double k = s * s * s * gx / static_cast<double>(dim);
        for (int64_t i = 0; i < dim; ++i) dx[r * dim + i] += s * dyr[i] * w[i] - k * xr[i];
    }
}

void linear_forward(const LoraLinear& p, const double* x, int64_t n_rows, double* xa, double* y) {
    rows_dot_rows(x, p.in, n_rows, p.w, p.in, p.out, p.in, y, p.out);
    if (p.bias)
        for (int64_t t = 0; t < n_rows; ++t)
            for (int64_t o = 0; o < p.out; ++o) y[t * p.out + o] += p.bias[o];
    if (!p.a) return;
    for (int64_t t = 0; t < n_rows; ++t) {
        const double* xt = x + t * p.in;
        double* xat = xa + t * p.rank;
        for (int64_t k = 0; k < p.rank; ++k) {
            xat[k] = dot(p.a + k * p.in, xt, p.in);
        }
        double* yt = y + t * p.out;
        for (int64_t o = 0; o < p.out; ++o) {
            const double* bo = p.b + o * p.rank;
            double acc = 0.0;
            for (int64_t k = 0; k < p.rank; ++k) acc += bo[k] * xat[k];
            yt[o] += p.scale * acc;
        }
    }
}

void linear_backward(const LoraLinear& p, const double* x, const double* xa, const double* dy, int64_t n_rows,
                     double* dx, double* da, double* db) {
    if (dx) add_rows_times_matrix(dy, p.out, n_rows, p.w, p.in, p.out, p.in, dx, p.in);
    if (!p.a) return;
    std::vector<double> dxa(static_cast<size_t>(p.rank));
    for (int64_t t = 0; t < n_rows; ++t) {
        const double* xt = x + t * p.in;
        const double* dyt = dy + t * p.out;
        // dxa = scale * dy B; dB += scale * dy^T xa; dA += dxa^T x; dx += dxa A.
        const double* xat = xa + t * p.rank;
        std::fill(dxa.begin(), dxa.end(), 0.0);
        for (int64_t o = 0; o < p.out; ++o) {
            const double g = p.scale * dyt[o];
            const double* bo = p.b + o * p.rank;
            for (int64_t k = 0; k < p.rank; ++k) {
                dxa[static_cast<size_t>(k)] += g * bo[k];
                if (db) db[o * p.rank + k] += g * xat[k];
            }
        }
        for (int64_t k = 0; k < p.rank; ++k) {
            const double g = dxa[static_cast<size_t>(k)];
            const double* ak = p.a + k * p.in;
            if (da) axpy(g, xt, p.in, da + k * p.in);
            if (dx) axpy(g, ak, p.in, dx + t * p.in);
        }
    }
}

namespace {

void rotate(double* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, int64_t first_position,
            std::span<const float> freqs, RopeStyle style, double sign) {
    const int64_t pairs = static_cast<int64_t>(freqs.size());
    for (int64_t r = 0; r < n_rows; ++r) {
        // The same angle the engine computes: double position times the float frequency.
        const double pos = static_cast<double>(first_position + r);
        for (int64_t i = 0; i < pairs; ++i) {
            const double angle = pos * freqs[static_cast<size_t>(i)];
            const double c = std::cos(angle), s = sign * std::sin(angle);
            const int64_t a = style == RopeStyle::Normal ? 2 * i : i;
            const int64_t b = style == RopeStyle::Normal ? 2 * i + 1 : i + pairs;
            for (int64_t h = 0; h < n_heads; ++h) {
                double* v = x + (r * n_heads + h) * head_dim;
                const double x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}

}  // namespace

void rope_forward(double* x, int64_t n_rows, int64_t n_heads, int64_t head_dim, int64_t first_position,
                  std::span<const float> freqs, RopeStyle style) {
    rotate(x, n_rows, n_heads, head_dim, first_position, freqs, style, 1.0);
}

void rope_backward(double* dx, int64_t n_rows, int64_t n_heads, int64_t head_dim, int64_t first_position,
                   std::span<const float> freqs, RopeStyle style) {
    rotate(dx, n_rows, n_heads, head_dim, first_position, freqs, style, -1.0);
}

void softmax_forward(const double* x, int64_t n, double* p) {
    if (n <= 0) return;
    const double m = *std::max_element(x, x + n);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        p[i] = std::exp(x[i] - m);
        sum += p[i];
    }
    for (int64_t i = 0; i < n; ++i) p[i] /= sum;
}

void softmax_backward(const double* p, const double* dp, int64_t n, double* dx) {
    double dot = 0.0;
    for (int64_t i = 0; i < n; ++i) dot += p[i] * dp[i];
    for (int64_t i = 0; i < n; ++i) dx[i] += p[i] * (dp[i] - dot);
}

namespace {
double sigmoid(double g) { return 1.0 / (1.0 + std::exp(-g)); }
}  // namespace

void swiglu_forward(const double* gate, const double* up, int64_t n, double* y) {
    for (int64_t i = 0; i < n; ++i) y[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

// silu'(g) = sigma(g) * (1 + g * (1 - sigma(g))).
void swiglu_backward(const double* gate, const double* up, const double* dy, int64_t n, double* dgate, double* dup) {
    for (int64_t i = 0; i < n; ++i) {
        const double s = sigmoid(gate[i]);
        dgate[i] += dy[i] * up[i] * s * (1.0 + gate[i] * (1.0 - s));
        dup[i] += dy[i] * gate[i] * s;
    }
}

void add_forward(double* x, const double* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void add_backward(const double* dsum, int64_t n, double* dx, double* dy) {
    for (int64_t i = 0; i < n; ++i) {
        dx[i] += dsum[i];
        dy[i] += dsum[i];
    }
}

}  // namespace engine::lookahead
