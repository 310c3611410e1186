#include "engine/metrics/response_nll.h"

#include "engine/error.h"
#include "engine/session/session.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace engine {

double negative_log_prob(std::span<const float> logits, int32_t token) {
    if (logits.empty() || token < 0 || static_cast<size_t>(token) >= logits.size())
        throw Error("negative_log_prob: token " + std::to_string(token) + " is outside " + std::to_string(logits.size()) +
                    " logits");
    const float top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float x : logits) sum += std::exp(double(x) - top);
    return std::log(sum) - (double(logits[static_cast<size_t>(token)]) - top);
}

double teacher_forced_nll(Session& session, const std::vector<int32_t>& tokens) {
    double nll = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
        nll += negative_log_prob(session.logits(), tokens[i]);
        if (i + 1 < tokens.size()) session.decode(tokens[i]);
    }
    return tokens.empty() ? 0 : nll / static_cast<double>(tokens.size());
}

}  // namespace engine
