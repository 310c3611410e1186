#pragma once
// Every op of the CUDA plugin against the CPU backend (or a double-precision reference) on
// fresh random inputs. Plain C++, no Qt: the Qt test (tests/engine/test_cuda_plugin) and the
// standalone gpu_check (scripts/gpu-check, on a GPU machine without Qt) both run these.

#include "engine/cuda/cuda_api.h"

#include <string>
#include <vector>

namespace gpu_check {

struct OpCheck {
    std::string name;
    bool passed = false;
    double error = 0.0;       // the largest |gpu - reference| / (|reference| + 1)
    double tolerance = 0.0;
    std::string message;      // why it failed, when a call failed
};

// Runs every check on the plugin's current device.
std::vector<OpCheck> run_cuda_op_checks(const GlimpseCudaApi& api);

}  // namespace gpu_check
