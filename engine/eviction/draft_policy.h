#pragma once
// The draft policies, LAQ (Lookahead Q-Cache) and SpecKV: SnapKV scoring where a drafted
// pseudo-answer's queries join the observation window. Their prefill runs four passes
// behind the EvictionPolicy interface:
//   1. the prompt goes through the target model keeping every token (a full cache of all
//      layers), while each layer's observation-window queries are saved (and, for LAQ, the
//      SnapKV selection of a compressed copy);
//   2. a short greedy pseudo-answer is drafted: LAQ on the SnapKV-compressed copy with the
//      target model, SpecKV by the draft model with a full cache;
//   3. the draft goes through the target model on the full cache, only to capture its
//      queries per layer (then forgotten);
//   4. each layer re-selects with keep() (window + draft queries).
// With B >= prompt length it keeps everything and equals a Full prefill exactly.

#include "engine/eviction/snapkv_policy.h"

#include <vector>

namespace engine {

enum class DraftSource {
    CompressedSelf,   // LAQ: the target model drafts on its own SnapKV-compressed cache
    DraftModel,       // SpecKV: a smaller model with the same vocabulary drafts on a full cache
};

class DraftPolicy final : public SnapKvPolicy {
public:
    DraftPolicy(const PolicyOptions& options, DraftSource source);
    std::string name() const override { return source_ == DraftSource::CompressedSelf ? "laq" : "speckv"; }
    static std::string describe(DraftSource source);
    // SnapKV's keep() with input.draft_queries as further queries; throws without them.
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;
    bool prefill(PrefillContext& context, std::span<const int32_t> tokens, CompressedCache& cache,
                 std::vector<float>& logits) override;

    DraftSource source() const { return source_; }
    const PolicyOptions& options() const { return options_; }
    // The pseudo-answer the last prefill drafted (empty when nothing had to be evicted).
    const std::vector<int32_t>& last_draft() const { return last_draft_; }

private:
    PolicyOptions options_;
    DraftSource source_;
    std::vector<int32_t> last_draft_;
};

}  // namespace engine
