#pragma once
// The selection step of the lookahead policies, LAQ (Lookahead Q-Cache) and SpecKV: SnapKV
// scoring where a drafted pseudo-response's queries join the observation window. The draft
// needs the whole prompt cache first, so these run as a two-pass prefill
// (lookahead_prefill.h); keep() alone refuses to run without the draft's queries.

#include "engine/eviction/snapkv_policy.h"

namespace engine {

enum class DraftSource {
    CompressedSelf,   // LAQ: the target model drafts on its own SnapKV-compressed cache
    DraftModel,       // SpecKV: a smaller model with the same vocabulary drafts on a full cache
};

class LookaheadPolicy final : public SnapKvPolicy {
public:
    LookaheadPolicy(const PolicyOptions& options, DraftSource source);
    std::string name() const override { return source_ == DraftSource::CompressedSelf ? "laq" : "speckv"; }
    static std::string describe(DraftSource source);
    // SnapKV's keep() with input.lookahead_queries as further queries; throws without them.
    std::vector<std::vector<int32_t>> keep(const LayerKeepInput& input) override;

    DraftSource source() const { return source_; }
    const PolicyOptions& options() const { return options_; }

private:
    PolicyOptions options_;
    DraftSource source_;
};

}  // namespace engine
