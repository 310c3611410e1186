#pragma once
// Options shared by the commands that run a model, and the model they load.

#include "core/conversation.h"
#include "core/model_setup.h"
#include "engine/chat/chat_template.h"
#include "engine/eviction/policy_options.h"
#include "engine/model/model.h"
#include "engine/session/sampling.h"
#include "engine/session/kv_rows.h"
#include "engine/session/session.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace glimpse::cli {

struct ModelOptions {
    std::string model;          // empty: the default model
    std::string chat_template;  // empty: the model's own
    int threads = 0;            // 0: one per hardware thread
    std::string policy;         // empty: lookahead when the model has an adapter, else snapkv
    int64_t budget = 2048;      // tokens kept per KV head per layer: short documents stay whole
    std::string draft_model;    // SpecKV's smaller model with the same vocabulary
    std::string adapter;        // LookaheadKV adapter; empty: the one found for the model
    int64_t recent_window = -1; // LookaheadKV: last prompt tokens always kept (-1: the adapter's)
    // The other policies' knobs, with engine::PolicyOptions' defaults (the papers').
    int64_t window = engine::PolicyOptions{}.window;             // SnapKV family: observation window
    int64_t pool_kernel = engine::PolicyOptions{}.pool_kernel;   // SnapKV family: max-pool kernel (odd)
    int64_t sinks = engine::PolicyOptions{}.sinks;               // StreamingLLM: attention sinks
    double pyramid_beta = engine::PolicyOptions{}.pyramid_beta;  // PyramidKV
    int64_t draft_tokens = 0;           // LAQ / SpecKV: pseudo-answer length (0: LAQ 8, SpecKV the answer's)
    std::string draft_reduction;        // LAQ / SpecKV: "max" or "mean" (empty: LAQ mean, SpecKV max)
    int64_t laq_stage2_window = engine::PolicyOptions{}.laq_stage2_window;   // LAQ: 0; LAQ++: 8
    int64_t read_window = 0;    // windowed reading: tokens per window (0: only past the context window)
    std::string kv_type = engine::kv_type_name(glimpse::ConversationOptions{}.kv_type);   // f32, f16 or q8_0
};

using glimpse::LoadedModel;
using glimpse::ModelChoice;

void add_model_options(CLI::App* cmd, ModelOptions& options);
// --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --seed, --max-tokens.
void add_sampling_options(CLI::App* cmd, engine::SamplingParams& params);

// What the options choose, for glimpse::open_model. `answer_tokens` is the longest answer the
// command generates (--max-tokens, eval's --response-tokens): SpecKV drafts that many by default.
ModelChoice model_choice(const ModelOptions& options, int64_t answer_tokens = engine::PolicyOptions{}.answer_tokens);
LoadedModel load_model(const ModelOptions& options, int64_t answer_tokens = engine::PolicyOptions{}.answer_tokens);

}  // namespace glimpse::cli
