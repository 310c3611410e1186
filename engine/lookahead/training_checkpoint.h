#pragma once
// The trainer's state beside the adapter it writes, so a run can stop and continue exactly:
// the double-precision parameters (the adapter file holds them rounded to float), AdamW's
// moments and step count, and where the run is in its seeded data order. A small binary
// file ("GLKVTRN1", little-endian), written atomically (temporary file, then rename).

#include "engine/lookahead/lookahead_parameters.h"

#include <cstdint>
#include <filesystem>

namespace engine::lookahead {

struct TrainingCheckpoint {
    uint64_t seed = 0;
    int64_t step = 0;          // optimizer updates done
    int64_t epoch = 0;         // pass over the data the next sample comes from
    int64_t position = 0;      // index of the next sample in that epoch's order
    int64_t n_samples = 0;     // training samples the order was made for
    LookaheadParameters params, first_moment, second_moment;
};

// `<adapter>.state` for an adapter path.
std::filesystem::path checkpoint_path_for(const std::filesystem::path& adapter_path);

void write_training_checkpoint(const TrainingCheckpoint& checkpoint, const std::filesystem::path& path);
// Reads a checkpoint whose tensors must have exactly the shapes of `like`; throws
// engine::Error naming the file and what does not match.
TrainingCheckpoint read_training_checkpoint(const std::filesystem::path& path, const LookaheadParameters& like);

}  // namespace engine::lookahead
