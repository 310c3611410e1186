// Sub-block scale search for the K-quant encoders: try a sweep of step counts around the
// plain min-max (or max-abs) choice, refine each by least squares on the levels it picks,
// and keep whichever leaves the smallest squared error.

#include "engine/quant/subblock_fit.h"

#include <algorithm>
#include <cmath>

namespace engine::quant_fit {

namespace {

// Candidate step counts run from (levels - 1) to (levels + 1) in tenths.
constexpr int kSweep = 20;
constexpr float kSweepStep = 0.1f;

}  // namespace

// Rounding by conversion rather than std::nearbyint keeps these hot loops free of library
// calls; ties round up, the same in the search as in the final choice of levels.
int affine_level(float x, AffineGrid grid, int top) {
    if (!(grid.scale > 0.0f)) return 0;
    const float t = (x + grid.min) / grid.scale;
    if (!(t > 0.0f)) return 0;
    if (t >= static_cast<float>(top)) return top;
    return static_cast<int>(t + 0.5f);
}

int symmetric_level(float x, float scale, int lowest, int highest) {
    if (scale == 0.0f) return 0;
    const float t = x / scale;
    if (!(t > static_cast<float>(lowest))) return lowest;
    if (t >= static_cast<float>(highest)) return highest;
    return static_cast<int>(t - static_cast<float>(lowest) + 0.5f) + lowest;
}

double affine_error(const float* x, int n, AffineGrid grid, int top) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const double y = static_cast<double>(grid.scale) * affine_level(x[i], grid, top) - grid.min;
        sum += (y - x[i]) * (y - x[i]);
    }
    return sum;
}

double symmetric_error(const float* x, int n, float scale, int lowest, int highest) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const double y = static_cast<double>(scale) * symmetric_level(x[i], scale, lowest, highest);
        sum += (y - x[i]) * (y - x[i]);
    }
    return sum;
}

AffineGrid fit_affine(const float* x, int n, int top) {
    // The grid starts at -min <= 0, so a sub-block of positive values still starts at zero.
    float lo = 0.0f, hi = x[0];
    for (int i = 0; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
    }
    if (!(hi > lo)) return {0.0f, -lo};

    AffineGrid best{(hi - lo) / static_cast<float>(top), -lo};
    double best_error = affine_error(x, n, best, top);

    for (int k = 0; k <= kSweep; ++k) {
        const float steps = static_cast<float>(top) - 1.0f + kSweepStep * static_cast<float>(k);
        if (steps <= 0.0f) continue;
        const AffineGrid start{(hi - lo) / steps, -lo};

        // Least squares for x ~ s * q + b on the levels this candidate picks.
        double sq = 0, sqq = 0, sx = 0, sqx = 0;
        for (int i = 0; i < n; ++i) {
            const double q = affine_level(x[i], start, top);
            sq += q;
            sqq += q * q;
            sx += x[i];
            sqx += q * x[i];
        }
        const double det = n * sqq - sq * sq;
        if (det <= 0.0) continue;
        double s = (n * sqx - sq * sx) / det;
        double b = (sqq * sx - sq * sqx) / det;
        if (b > 0.0) {  // the grid must reach zero: pin b at 0 and fit the scale alone
            b = 0.0;
            s = sqx / sqq;
        }
        if (!(s > 0.0)) continue;
        const AffineGrid candidate{static_cast<float>(s), static_cast<float>(-b)};
        const double error = affine_error(x, n, candidate, top);
        if (error < best_error) {
            best = candidate;
            best_error = error;
        }
    }
    return best;
}

float fit_symmetric(const float* x, int n, int lowest, int highest) {
    float amax = 0.0f, vmax = 0.0f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            vmax = x[i];
        }
    }
    if (amax == 0.0f) return 0.0f;

    // The largest magnitude on the negative end uses the extra level.
    float best = vmax / static_cast<float>(lowest);
    double best_error = symmetric_error(x, n, best, lowest, highest);

    for (int sign = -1; sign <= 1; sign += 2) {
        for (int k = 0; k <= kSweep; ++k) {
            const float steps = static_cast<float>(highest) - 1.0f + kSweepStep * static_cast<float>(k);
            if (steps <= 0.0f) continue;
            const float start = static_cast<float>(sign) * vmax / steps;
            double sqq = 0, sqx = 0;
            for (int i = 0; i < n; ++i) {
                const double q = symmetric_level(x[i], start, lowest, highest);
                sqq += q * q;
                sqx += q * x[i];
            }
            if (sqq <= 0.0) continue;
            const auto candidate = static_cast<float>(sqx / sqq);
            const double error = symmetric_error(x, n, candidate, lowest, highest);
            if (error < best_error) {
                best = candidate;
                best_error = error;
            }
        }
    }
    return best;
}

}  // namespace engine::quant_fit
