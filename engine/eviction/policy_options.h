#pragma once
// The knobs of every eviction policy, with the papers' defaults. The budget B counts the
// prompt tokens kept per KV head per layer.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

namespace engine {

class Model;
struct LookaheadAdapter;

// How a prompt token's attention from many queries becomes one score: SnapKV and LAQ average
// over the queries, SpecKV takes the largest (a token one query needs is kept).
enum class ScoreReduction { Mean, Max };

struct PolicyOptions {
    int64_t budget = 256;            // B: tokens kept per KV head per layer
    int64_t n_layers = 0;            // 0: the model's, as the forward pass reports; else must match it
    int64_t window = 32;             // SnapKV observation window (last prompt tokens as queries)
    int64_t pool_kernel = 7;              // SnapKV max-pooling kernel (odd, "same" padding)
    int64_t sinks = 4;               // StreamingLLM attention sinks
    double pyramid_beta = 20.0;      // PyramidKV: the top layer's extra budget is the mean's 1/beta
    int64_t draft_tokens = 0;        // LAQ / SpecKV pseudo-answer length; 0: the paper's (LAQ 8, SpecKV answer_tokens)
    int64_t answer_tokens = 256;     // the longest answer the session will generate (SpecKV drafts a whole one)
    std::optional<ScoreReduction> draft_reduction{};   // LAQ / SpecKV; none: the paper's (LAQ mean, SpecKV max)
    int64_t laq_stage2_window = 0;   // LAQ: last prompt queries that join the draft's in re-selection (LAQ++: 8)
    std::filesystem::path draft_model_path{};      // SpecKV draft GGUF (same vocabulary)
    std::shared_ptr<const Model> draft_model{};    // or an already opened draft (wins over the path)
    std::filesystem::path adapter_path{};          // LookaheadKV adapter GGUF, loaded on first use
    std::shared_ptr<const LookaheadAdapter> adapter{};   // or an already loaded one (wins over the path)
    int64_t recent_window = -1;      // LookaheadKV: last prompt tokens always kept (-1: the adapter's setting)
};

}  // namespace engine
