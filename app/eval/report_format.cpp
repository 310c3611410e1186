#include "app/eval/report_format.h"

#include <cmath>

namespace glimpse::eval {

QString formatMetricValue(double value) { return formatMetricValue(value, value); }

QString formatMetricValue(double value, double scale) {
    if (!std::isfinite(value)) return QStringLiteral("n/a");
    const double magnitude = std::isfinite(scale) ? std::abs(scale) : std::abs(value);
    const int decimals = magnitude >= 1000 ? 0 : magnitude >= 10 ? 1 : 3;
    return QString::number(value, 'f', decimals);
}

}  // namespace glimpse::eval
