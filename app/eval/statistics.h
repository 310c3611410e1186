#pragma once
// Mean and 95% confidence interval of a sample, with Student's t for small samples.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace glimpse::eval {

struct MeanInterval {
    size_t n = 0;
    double mean = std::numeric_limits<double>::quiet_NaN();
    // Half the width of the 95% interval; NaN when n < 2 (no spread can be estimated).
    double half_width = std::numeric_limits<double>::quiet_NaN();

    double low() const { return mean - half_width; }
    double high() const { return mean + half_width; }
};

// The 0.975 quantile of Student's t with the given degrees of freedom (>= 1): a table up to
// 30, a Cornish-Fisher expansion above (error below 1e-6 there).
double student_t_975(int64_t degrees_of_freedom);

// mean ± t(0.975, n-1) * s / sqrt(n), s the sample standard deviation (n - 1 divisor).
// Throws engine::Error on a non-finite value; an empty sample gives n = 0 and NaNs.
MeanInterval mean_with_ci95(std::span<const double> values);

}  // namespace glimpse::eval
