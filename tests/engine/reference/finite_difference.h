#pragma once
// Central finite differences in double precision, for checking hand-written backward passes.

#include <QtTest/QtTest>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace reference {

inline uint64_t fresh_seed(const char* what) {
    const uint64_t seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    qInfo("%s: seed %llu", what, static_cast<unsigned long long>(seed));
    return seed;
}

inline std::vector<double> random_vector(std::mt19937_64& rng, size_t n, double scale = 1.0) {
    std::normal_distribution<double> normal(0.0, scale);
    std::vector<double> v(n);
    for (auto& x : v) x = normal(rng);
    return v;
}

// d f / d x[i] by (f(x + h) - f(x - h)) / 2h for each i in `indices` (all when empty);
// x is restored afterwards.
template <class F>
std::vector<double> numeric_gradient(std::vector<double>& x, F&& f, std::vector<size_t> indices = {}, double h = 1e-5) {
    if (indices.empty())
        for (size_t i = 0; i < x.size(); ++i) indices.push_back(i);
    std::vector<double> g;
    for (size_t i : indices) {
        const double saved = x[i];
        x[i] = saved + h;
        const double up = f();
        x[i] = saved - h;
        const double down = f();
        x[i] = saved;
        g.push_back((up - down) / (2.0 * h));
    }
    return g;
}

inline std::vector<double> pick(const std::vector<double>& v, const std::vector<size_t>& indices) {
    std::vector<double> out;
    for (size_t i : indices) out.push_back(v[i]);
    return out;
}

// ||a - b|| / ||b||: the error of the analytic gradient a relative to the numeric one b.
inline double gradient_error(const std::vector<double>& a, const std::vector<double>& b) {
    double diff = 0.0, norm = 0.0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        diff += (a[i] - b[i]) * (a[i] - b[i]);
        norm += b[i] * b[i];
    }
    if (a.size() != b.size()) return INFINITY;
    return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-300);
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

}  // namespace reference
