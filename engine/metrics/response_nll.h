#pragma once
// How likely a cache makes a given response: the mean negative log-likelihood per token,
// teacher-forced. ΔNLL, the eviction measure, is this on a compressed cache minus the same
// on the full cache.

#include <cstdint>
#include <span>
#include <vector>

namespace engine {

class Session;

// -log softmax(logits)[token], in double.
double negative_log_prob(std::span<const float> logits, int32_t token);

// Mean over `tokens` of -log p(token | what the session holds and the tokens before it),
// starting from the session's current logits; decodes all but the last token. 0 for none.
double teacher_forced_nll(Session& session, const std::vector<int32_t>& tokens);

}  // namespace engine
