#pragma once
// What a run cost, printed to stderr after an answer: prompt size, speeds, memory.

#include "engine/session/session.h"

#include <cstdint>

namespace glimpse::cli {

struct PrefillTiming {
    int64_t tokens = 0;
    double seconds = 0.0;
};

void print_run_report(const PrefillTiming& prefill, const engine::GenerationStats& generation);

// Prefill progress on stderr when it is a terminal: "reading the prompt: 45%".
engine::ProgressCallback terminal_progress(const char* label);
void clear_terminal_progress();

}  // namespace glimpse::cli
