#include "app/eval/statistics.h"

#include "engine/error.h"

#include <array>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

double student_t_975(int64_t df) {
    static constexpr std::array<double, 30> kTable = {
        12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
        2.200985,  2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
        2.079614,  2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272};
    if (df < 1) throw Error("student_t_975: degrees of freedom must be at least 1");
    if (df <= 30) return kTable[df - 1];
    const double z = 1.959963984540054;  // the normal 0.975 quantile
    const double v = static_cast<double>(df);
    const double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v) +
           (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
}

MeanInterval mean_with_ci95(std::span<const double> values) {
    MeanInterval result;
    result.n = values.size();
    if (values.empty()) return result;
    double sum = 0;
    for (double value : values) {
        if (!std::isfinite(value)) throw Error("mean_with_ci95: a value is not finite");
        sum += value;
    }
    result.mean = sum / static_cast<double>(values.size());
    if (values.size() < 2) return result;
    double squares = 0;
    for (double value : values) squares += (value - result.mean) * (value - result.mean);
    const double n = static_cast<double>(values.size());
    const double deviation = std::sqrt(squares / (n - 1));
    result.half_width = student_t_975(static_cast<int64_t>(values.size()) - 1) * deviation / std::sqrt(n);
    return result;
}

}  // namespace glimpse::eval
