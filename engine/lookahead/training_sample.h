#pragma once
// One training example for the LookaheadKV trainer: a prompt, the model's own greedy answer
// with the full cache, and where that answer looked in the prompt (the target the lookahead
// tokens learn to predict). Stored as a GGUF file (general.type = "lookahead-data"):
//
//   prompt.tokens       I32  [n_prompt]
//   question.tokens     I32  [n_question]   (context-only samples only)
//   response.tokens     I32  [n_response]
//   target.attention    F16  [n_prompt, n_kv_heads, n_layers]   (ne[0] first)
//
// with the strings and counts under lookahead_data.* metadata keys. A context-only sample's
// prompt is the document alone, compressed before the question is known (as for a follow-up
// turn); its question was read after it, and its target is where the answer to that
// question looked in the document. A multi-turn sample is a context-only one whose question
// part is a conversation (lookahead_data.turns questions, the model's own answers between
// them); its target is where the answer to the last question looked in the document. A
// windowed sample (lookahead_data.windowed) is a context-only one whose prompt stops inside
// the document, as the rows see it when a window of a long document has been read: its
// question part holds the rest of the document and the question, and its target is where
// the answer looked among the tokens read so far.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace engine::lookahead {

struct TrainingSample {
    std::string source;        // task name ("niah_single", ...) or "doc:<document id>"
    std::string instruction;   // "qa", "summarise", "list", "explain", "quote", or the task name
    uint64_t seed = 0;
    uint64_t model_fingerprint = 0;   // LookaheadBase::of(model).fingerprint
    int64_t n_layers = 0;
    int64_t n_kv_heads = 0;
    std::vector<int32_t> prompt;     // what is compressed: the whole prompt, chat template and generation prompt
                                     // included; context-only: the template's start and the document
    std::vector<int32_t> question;   // context-only: the rest of the prompt, read after compressing; else empty
    int64_t turns = 1;               // questions asked; past 1 (multi-turn, context-only), `question` holds the
                                     // first, the model's answers and the later ones, and `response` answers the last
    bool windowed = false;           // the prompt stops inside the document; `question` starts with its rest
    std::vector<int32_t> response;   // the model's greedy response with the full cache
    std::vector<uint16_t> target;    // f16 bits, [n_layers][n_kv_heads][prompt.size()]; each (layer, head) row sums to 1
    bool context_only() const { return !question.empty(); }
    // [n_kv_heads][n_prompt] of one layer in double, each head renormalised to sum 1.
    std::vector<double> target_of_layer(int64_t layer) const;
};

// GGUF file (general.type = "lookahead-data"), written atomically (temp file + rename).
void write_training_sample(const TrainingSample& sample, const std::filesystem::path& path);
// Validates everything (shapes, finite non-negative targets, counts); throws engine::Error naming the file and problem.
TrainingSample read_training_sample(const std::filesystem::path& path);
// The sample-*.gguf files of a directory, sorted by name; throws engine::Error if the directory is missing or has none.
std::vector<std::filesystem::path> list_training_samples(const std::filesystem::path& dir);

}  // namespace engine::lookahead
