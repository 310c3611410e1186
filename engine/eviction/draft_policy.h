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
//   4. each layer re-selects with keep() (draft queries, joined by the last queries of the
//      prompt's window: SpecKV's whole observation window, LAQ's stage-2 window).
// With B >= prompt length it keeps everything and equals a Full prefill exactly.
//
// Defaults follow the papers: LAQ drafts 8 tokens, averages over the queries and re-selects
// with the draft's queries alone (LAQ++: with the last 8 prompt queries too); SpecKV drafts a
// whole answer (PolicyOptions::answer_tokens), takes the largest weight over the queries and
// keeps the 32-token window.

#include "engine/eviction/snapkv_policy.h"

#include <vector>

namespace engine {

enum class DraftSource {
    CompressedSelf,   // LAQ: the target model drafts on its own SnapKV-compressed cache
    DraftModel,       // SpecKV: a smaller model with the same vocabulary drafts on a full cache
};

class DraftPolicy final : public SnapKvPolicy {
public:
    // Resolves the paper defaults above into options(); throws for a draft of no tokens or a
    // negative stage-2 window.
    DraftPolicy(const PolicyOptions& options, DraftSource source);
    std::string name() const override { return source_ == DraftSource::CompressedSelf ? "laq" : "speckv"; }
    // The draft's queries score too, reduced as options() say: the window's sums alone are not enough.
    bool wants_observation_attention() const override { return false; }
    static std::string describe(DraftSource source);
    // SnapKV's selection scored by input.draft_queries and the last reselect_window() of the
    // input's window queries (those tokens are kept, as SnapKV keeps its window), reduced over
    // the queries by options().draft_reduction. Throws without draft queries.
    std::vector<std::vector<int32_t>> keep(const EvictionInput& input) override;
    // How many of the prompt's last queries join the draft's in keep(): SpecKV its observation
    // window, LAQ options().laq_stage2_window. Pass 1 records query_window() >= this many.
    int64_t reselect_window() const;
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

// Whether these options make SpecKV draft with `target` itself (the same model object, or a
// model with its fingerprint). Its greedy full-cache draft is then the very answer an
// evaluation scores against: an oracle, an upper bound rather than a competitor. A draft
// named only by a path is not opened here and counts as another model.
bool drafts_with_target(const PolicyOptions& options, const Model& target);

}  // namespace engine
