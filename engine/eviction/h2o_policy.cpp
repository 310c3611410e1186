#include "engine/eviction/h2o_policy.h"

#include "engine/error.h"
#include "engine/eviction/token_selection.h"

namespace engine {

H2oPolicy::H2oPolicy(const PolicyOptions& o) : budget_(o.budget) {
    if (budget_ < 1) throw Error("h2o: the budget must be at least 1 token, got " + std::to_string(budget_));
}

std::string H2oPolicy::describe() {
    return "h2o: heavy hitters plus recent tokens (Zhang et al. 2023). Each prompt token's score is the softmax "
           "attention it receives from every later prompt query, summed over the query heads of its KV group; "
           "each KV head keeps the last B/2 tokens and the top B - B/2 of the rest.";
}

std::vector<std::vector<int32_t>> H2oPolicy::keep(const EvictionInput& in) {
    const int64_t n = in.n_tokens, candidates = in.n_candidates();
    if (budget_ >= candidates) return same_for_all_heads(in, index_range(0, candidates));
    if (!in.key_attention) throw Error("h2o: the forward pass gave no accumulated attention");
    const int64_t recent = budget_ / 2, older = candidates - recent;
    const int64_t group = in.n_heads / in.n_kv_heads;
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    for (int64_t h = 0; h < in.n_kv_heads; ++h) {
        std::vector<double> score(static_cast<size_t>(older), 0.0);
        for (int64_t qh = h * group; qh < (h + 1) * group; ++qh)
            for (int64_t j = 0; j < older; ++j) score[static_cast<size_t>(j)] += in.key_attention[qh * n + j];
        auto chosen = top_indices(score, budget_ - recent);
        const auto tail = index_range(older, recent);
        chosen.insert(chosen.end(), tail.begin(), tail.end());
        kept[static_cast<size_t>(h)] = std::move(chosen);
    }
    return kept;
}

}  // namespace engine
