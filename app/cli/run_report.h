#pragma once
// What a run cost, printed to stderr after an answer: prompt size, speeds, memory.

#include "core/conversation.h"
#include "engine/session/session.h"

#include <cstdint>
#include <string>

namespace glimpse::cli {

// "[prompt N tokens, prefill R tok/s (S s) | answer ...]" for a turn of a conversation.
void print_run_report(const TurnReport& turn);
// "[drew on: p. 2 (84%), p. 1 (16%)]": the pages the answer drew on; with several documents
// each page names its document ("doc 2 p. 4").
void print_citations(const TurnReport& turn, size_t documents);
// "KV cache (snapkv, budget 256): kept 12.0 MiB of 45.3 MiB (26.5%)"; a prompt read in
// windows adds ", read in N windows" after the budget. SpecKV drafting with the model itself
// is named "speckv (oracle: self-draft)" (engine::policy_label).
void print_kv_report(const engine::Session& session, int64_t budget, int64_t windows = 1);

// Prefill progress on stderr when it is a terminal: "reading the prompt: 45% (layer 12/30, 8 s left)".
engine::ProgressCallback terminal_progress(const char* label);
void clear_terminal_progress();

}  // namespace glimpse::cli
