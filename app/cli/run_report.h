#pragma once
// What a run cost, printed to stderr after an answer: prompt size, speeds, memory.

#include "engine/session/session.h"

#include <cstdint>
#include <string>

namespace glimpse::cli {

struct PrefillTiming {
    int64_t tokens = 0;
    double seconds = 0.0;
};

void print_run_report(const PrefillTiming& prefill, const engine::GenerationStats& generation);
// "KV cache (snapkv, budget 256): 12.0 MiB kept of 45.3 MiB full (26.5%)".
void print_kv_report(const engine::Session& session, const std::string& policy, int64_t budget);

// Prefill progress on stderr when it is a terminal: "reading the prompt: 45%".
engine::ProgressCallback terminal_progress(const char* label);
void clear_terminal_progress();

}  // namespace glimpse::cli
