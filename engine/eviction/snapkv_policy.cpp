#include "engine/eviction/snapkv_policy.h"

#include "engine/error.h"
#include "engine/eviction/token_selection.h"

namespace engine {

SnapKvPolicy::SnapKvPolicy(const PolicyOptions& o) : budget_(o.budget), window_(o.window), kernel_(o.pool_kernel) {
    if (budget_ < 1) throw Error("snapkv: the budget must be at least 1 token, got " + std::to_string(budget_));
    if (window_ < 1) throw Error("snapkv: the observation window must be at least 1 token, got " + std::to_string(window_));
    if (kernel_ < 1 || kernel_ % 2 == 0)
        throw Error("snapkv: the pooling kernel must be a positive odd number, got " + std::to_string(kernel_));
}

std::string SnapKvPolicy::describe() {
    return "snapkv: observation-window attention (Li et al. 2024). The last --window prompt tokens (default 32) "
           "are queries; each earlier token's score is its softmax attention from them (causal), averaged over "
           "the window and the query heads of its KV group, max-pooled along the sequence (--pool-kernel, default 7). "
           "Each KV head keeps the window plus its top B - window tokens; B <= window keeps the last B.";
}

int64_t SnapKvPolicy::layer_budget(const EvictionInput&) const { return budget_; }

std::vector<std::vector<int32_t>> SnapKvPolicy::keep(const EvictionInput& in) {
    const int64_t n = in.n_candidates();
    const int64_t budget = layer_budget(in);
    if (budget >= n) return same_for_all_heads(in, index_range(0, n));
    if (budget <= in.n_window || budget <= window_) return same_for_all_heads(in, index_range(n - budget, budget));
    if (!in.window_queries || in.n_window <= 0) throw Error("snapkv: the forward pass gave no observation-window queries");
    return keep_top(in, budget, ScoreReduction::Mean);
}

std::vector<std::vector<int32_t>> SnapKvPolicy::keep_top(const EvictionInput& in, int64_t budget, ScoreReduction reduction) const {
    const int64_t prefix = in.n_tokens - in.n_window;
    // The window is kept, except the question's tokens in it (windowed reading's probe); a
    // probe longer than the window leaves its first tokens among the scored, and out.
    const int64_t scored = std::min(prefix, in.n_candidates()), window_kept = in.n_candidates() - scored;
    const bool summed = in.observation_attention && in.n_draft == 0 && reduction == ScoreReduction::Mean;
    std::vector<std::vector<float>> scores =
        summed ? observation_means(in, prefix) : window_attention(in, prefix, reduction);
    std::vector<std::vector<int32_t>> kept(static_cast<size_t>(in.n_kv_heads));
    for (int64_t h = 0; h < in.n_kv_heads; ++h) {
        scores[static_cast<size_t>(h)].resize(static_cast<size_t>(scored));
        auto chosen = top_indices(max_pool(scores[static_cast<size_t>(h)], kernel_), budget - window_kept);
        const auto window = index_range(scored, window_kept);
        chosen.insert(chosen.end(), window.begin(), window.end());
        kept[static_cast<size_t>(h)] = std::move(chosen);
    }
    return kept;
}

}  // namespace engine
