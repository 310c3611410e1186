#pragma once
// Choosing the scale (and min) of one small sub-block of a K-quant super-block.
// Internal to engine/quant.

namespace engine::quant_fit {

// x ~ scale * q - min with q in 0 .. top; scale >= 0 and min >= 0 (the grid always reaches
// zero or below, as Q2_K / Q4_K / Q5_K require).
struct AffineGrid {
    float scale;
    float min;
};

// The nearest level of x on a grid, clamped to the grid's ends.
int affine_level(float x, AffineGrid grid, int top);
int symmetric_level(float x, float scale, int lowest, int highest);

// Sum of squared errors of x[0..n) snapped to the nearest level of the grid.
double affine_error(const float* x, int n, AffineGrid grid, int top);
double symmetric_error(const float* x, int n, float scale, int lowest, int highest);

// The grid with the smallest squared error among min-max and a sweep of step counts
// around it, each refined by least squares; never worse than plain min-max.
AffineGrid fit_affine(const float* x, int n, int top);

// x ~ scale * q with q in lowest .. highest (scale may be negative, so the value of largest
// magnitude can use the extra level on the negative side); chosen as fit_affine chooses.
float fit_symmetric(const float* x, int n, int lowest, int highest);

}  // namespace engine::quant_fit
