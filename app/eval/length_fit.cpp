#include "app/eval/length_fit.h"

#include <algorithm>

namespace glimpse::eval {


int64_t largest_fitting_count(const std::function<bool(int64_t)>& fits, int64_t hint, int64_t limit) {
    if (limit < 0 || !fits(0)) return -1;
    int64_t good = 0;  // known to fit
    int64_t bad = limit + 1;  // known not to fit (limit + 1 stands for "past the end")
    int64_t probe = std::clamp<int64_t>(hint, 1, std::max<int64_t>(1, limit));
    if (limit == 0) return 0;
    // Gallop from the hint until the answer is bracketed.
    if (fits(probe)) {
        good = probe;
        int64_t step = std::max<int64_t>(1, probe / 8);
        while (good < limit) {
            probe = std::min(limit, good + step);
            if (!fits(probe)) {
                bad = probe;
                break;
            }
            good = probe;
            step *= 2;
        }
    } else {
        bad = probe;
    }
    while (bad - good > 1) {
        const int64_t middle = good + (bad - good) / 2;
        if (fits(middle))
            good = middle;
        else
            bad = middle;
    }
    return good;
}

}  // namespace glimpse::eval
