#pragma once
// Number formatting shared by the eval reports.

#include <QString>

namespace glimpse::eval {

// A value with a precision that suits its size: 3 decimals below 10, 1 below 1000, none above.
// With `scale`, the precision is chosen for that size instead (an interval's half width is
// shown with its mean's precision).
QString formatMetricValue(double value);
QString formatMetricValue(double value, double scale);

}  // namespace glimpse::eval
