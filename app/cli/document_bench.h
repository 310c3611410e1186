#pragma once
// glimpse-cli bench --document [FILE]: the desktop app's document flow, measured. The file
// (or a generated document of about the context window) is read as `ask --doc` reads it
// and asked about through a Conversation, once per configuration (policy and budget), each
// in a process of its own so that its peak RSS is its own; llama.cpp reads the same prompt
// tokens in the same run when asked.

#include "cli/llamacpp_peer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse::cli {

struct DocumentBenchOptions {
    std::string model;                 // empty: the default model
    int threads = 0;                   // 0: one per hardware thread
    std::string kv_type = "f16";       // what the KV cache keeps: f32, f16 or q8_0
    std::string file;                  // empty: a generated document
    int64_t prompt_tokens = 0;         // generated document: its prompt's length (0: the context less the answer)
    std::string question;
    std::vector<std::string> policies{"full", "lookahead"};
    std::vector<int64_t> budgets{512, 2048};   // for every policy but full, which keeps everything
    int64_t gen_tokens = 64;
    int runs = 3;
    bool json = false;
    LlamaCppPeer llamacpp;
    // Set in the process the bench starts per configuration: measure the one policy and
    // budget given on `file` and print the JSON of that configuration.
    bool measure_configuration = false;
};

inline constexpr const char* kDefaultBenchQuestion =
    "Summarise what each page of the document explains, citing the pages.";

void run_document_bench(const DocumentBenchOptions& options);

}  // namespace glimpse::cli
