#pragma once
// Training a LookaheadKV adapter. One step takes `batch` samples (streamed from disk, one
// file per sample), prefills each prompt with the full cache, computes the KL loss of the
// lookahead scores against the sample's target and its gradient, averages over the batch
// and makes one AdamW update. The samples of a batch run on their own threads, one Session
// each; gradients are summed in sample order, so a run is deterministic given its seed
// whatever the thread count. The data order is a seeded shuffle per epoch.
//
//   LookaheadTrainer trainer(model, options);        // fresh, or continues (options.resume)
//   while (!trainer.done()) { auto r = trainer.train_step(); ... }
//   trainer.save_checkpoint();                       // adapter + <adapter>.state

#include "engine/lookahead/adamw.h"
#include "engine/lookahead/lookahead_adapter.h"
#include "engine/lookahead/lookahead_layer.h"
#include "engine/lookahead/lookahead_parameters.h"
#include "engine/quant/ggml_type.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace engine {
class Model;
}

namespace engine::lookahead {

struct TrainerOptions {
    std::filesystem::path data_dir;          // sample-*.gguf
    std::filesystem::path validation_dir;    // empty: no validation
    std::filesystem::path out;               // the adapter; the checkpoint goes to <out>.state
    LookaheadOptions lookahead;
    AdamWOptions adamw;                      // total_steps is taken from `steps`
    int64_t steps = 1000;
    int batch = 2;
    int threads = 2;                         // in all: samples in parallel * threads per prefill
    uint64_t seed = 1;
    int64_t checkpoint_every = 100;          // also the validation interval; <= 0: only at the end
    bool resume = false;                     // continue from <out> and <out>.state
    // The type a prompt's cache is kept at beside its sample when the trainer had to prefill
    // it (prompt_cache_file.h); nothing: never written.
    std::optional<GgmlType> prompt_cache = GgmlType::F16;
};

struct StepReport {
    int64_t step = 0;                        // 1-based, after the update
    int64_t total = 0;
    double loss = 0.0;                       // batch mean
    double lr = 0.0;
    std::vector<std::string> samples;        // file names of the batch
    int64_t prompt_tokens = 0;               // over the batch
    double seconds = 0.0;
};

struct ValidationReport {
    int64_t step = 0;
    double loss = 0.0;                       // mean over the validation samples
    int64_t samples = 0;
    double seconds = 0.0;
};

class LookaheadTrainer {
public:
    // Throws engine::Error for a missing or empty data directory, bad options, or (with
    // resume) a checkpoint that does not fit the model, options or data.
    LookaheadTrainer(std::shared_ptr<const Model> model, TrainerOptions options);
    ~LookaheadTrainer();

    const TrainerOptions& options() const { return options_; }
    int64_t step() const { return optimizer_.steps_taken(); }
    bool done() const { return step() >= options_.steps; }
    int64_t training_samples() const { return static_cast<int64_t>(train_files_.size()); }
    bool has_validation() const { return !validation_files_.empty(); }

    StepReport train_step();
    // Mean loss over every validation sample, with no update.
    ValidationReport validate();
    // Writes the adapter and the checkpoint, each atomically.
    void save_checkpoint();

    const LookaheadParameters& parameters() const { return params_; }
    LookaheadAdapter adapter() const;

private:
    struct SampleResult;
    SampleResult run_sample(const std::filesystem::path& file, int session_threads, bool gradients) const;
    std::vector<SampleResult> run_samples(const std::vector<std::filesystem::path>& files, bool gradients) const;
    std::filesystem::path next_training_file();

    std::shared_ptr<const Model> model_;
    TrainerOptions options_;
    std::vector<std::filesystem::path> train_files_, validation_files_;
    std::vector<DenseLayer> dense_;
    LookaheadAdapter adapter_;
    LookaheadParameters params_;
    AdamW optimizer_;
    int64_t epoch_ = 0, position_ = 0;
    std::vector<int64_t> order_;
};

// The order of `n` samples in an epoch: a Fisher-Yates shuffle seeded by (seed, epoch).
std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t n);

}  // namespace engine::lookahead
