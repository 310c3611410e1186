#pragma once
// The transformer forward pass, layer-major: every new token passes through layer l (in
// chunks, against a K/V buffer holding that layer only) before any enters layer l + 1.
// After each layer an eviction policy picks which tokens that layer keeps in the
// compressed cache. Decode is the same pass with one token and no policy.

#include "engine/backend.h"
#include "engine/eviction/eviction_policy.h"
#include "engine/model/model.h"
#include "engine/session/compressed_cache.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace engine {

// Called as a forward pass advances; done and total count token-layers (tokens x layers).
using LayerProgress = std::function<void(int64_t done, int64_t total)>;

// Buffers the pass reuses between calls, apart from the weights.
struct ForwardScratch {
    std::vector<float> hidden;       // [n][dim], the residual stream of all new tokens
    std::vector<float> layer_k;      // [n][kv_dim], this layer only
    std::vector<float> layer_v;      // [n][kv_dim]
    std::vector<float> normed;       // [chunk][dim]
    std::vector<float> q;            // [chunk][q_dim]
    std::vector<float> attn;         // [chunk][q_dim]
    std::vector<float> proj;         // [chunk][dim]
    std::vector<float> gate;         // [chunk][ffn_dim]
    std::vector<float> up;           // [chunk][ffn_dim]
    std::vector<float> window_q;     // [window][q_dim]
    std::vector<float> key_attention;  // [n_heads][n]
    std::vector<float> observation;    // [n_heads][n]: the observation window's attention sums
    std::vector<int32_t> positions;  // [n]
};

struct ForwardRequest {
    std::span<const int32_t> tokens;
    int64_t chunk = 256;
    EvictionPolicy* policy = nullptr;          // nullptr: keep every token
    const std::atomic<bool>* cancel = nullptr; // checked before every chunk of every layer
    const LayerProgress* progress = nullptr;
    // When set ([layer * n_kv_heads + kv_head], grown to the cache's sizes): adds the
    // attention each cached entry receives from these tokens.
    std::vector<std::vector<float>>* cached_attention = nullptr;
    // When set: resized to n_layers, entry l gets layer l's queries of the new tokens,
    // [n][q_dim] after RoPE (draft policies score a prompt with a draft's queries).
    std::vector<std::vector<float>>* queries = nullptr;
    // When set: adds the seconds the policy spent in keep().
    double* eviction_seconds = nullptr;
    // Windowed reading: the policy chooses among each layer's cached entries and the new
    // tokens together (joint_eviction.h), so the cache returns to its budget.
    bool evict_cached = false;
    // Windowed reading: the last `probe` tokens are the question read after a window; they
    // choose with it but are not kept (EvictionInput::n_probe).
    int64_t probe = 0;
};

// Runs the tokens at positions cache.next_rotary_position()... through the model, appends what
// each layer keeps to `cache`, and writes the last token's logits ([vocab]). Returns false,
// leaving cache and logits as they were, when cancelled.
bool forward_tokens(const Model& model, Backend& backend, ForwardScratch& scratch, CompressedCache& cache,
                    const ForwardRequest& request, std::vector<float>& logits);

// Where a prefill stands, for a progress bar with an ETA.
struct PrefillProgress {
    std::string_view stage;     // "reading" the prompt; draft policies also "drafting", "choosing"
    int64_t layer = 0;          // the layer being read (in the current pass)
    int64_t n_layers = 0;
    int64_t done = 0;           // work done and in all, in token-layers over every pass
    int64_t total = 0;
    double seconds = 0.0;       // since the prefill began
    // Seconds left at the rate so far; 0 before any work is done.
    double eta_seconds() const {
        return done > 0 && total > done ? seconds * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
    }
};
using ProgressCallback = std::function<void(const PrefillProgress&)>;

// What a policy's prefill runs on, given by Session::prefill: the session's model and
// backend, its cancel flag, and progress and eviction-time accounting.
struct PrefillContext {
    std::shared_ptr<const Model> model;
    std::shared_ptr<Backend> backend;
    ForwardScratch* scratch = nullptr;
    int64_t chunk = 256;
    const std::atomic<bool>* cancel = nullptr;
    const ProgressCallback* progress = nullptr;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double eviction_seconds = 0.0;   // time spent choosing what to keep (policies add to it)
    int64_t work_total = 0;          // token-layers of every pass; a policy with extra passes raises it
    bool evict_cached = false;       // windowed reading: evict cached entries with the new (ForwardRequest)
    int64_t probe = 0;               // windowed reading: the question's tokens after the window (ForwardRequest)

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    // Reports `done` token-layers of work_total in `stage`.
    void report(std::string_view stage, int64_t done) const;
    // One layer-major pass over `cache` with `policy` choosing per layer (nullptr: keep all),
    // reported as `stage` after `work_before` token-layers of earlier passes; keep() time
    // counts as eviction. Same contract as forward_tokens.
    bool forward(CompressedCache& cache, std::span<const int32_t> tokens, EvictionPolicy* policy,
                 std::vector<float>& logits, std::string_view stage = "reading", int64_t work_before = 0,
                 std::vector<std::vector<float>>* queries = nullptr);
};

}  // namespace engine
