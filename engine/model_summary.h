#pragma once
// What `inspect` shows about a GGUF model: its shape, size and memory needs, read from
// metadata alone so that any GGUF file can be described, runnable or not.

#include "engine/gguf/gguf_file.h"

#include <cstdint>
#include <map>
#include <string>

namespace engine {

struct ModelSummary {
    std::string architecture;
    std::string name;
    int64_t layers = 0;
    int64_t heads = 0;
    int64_t kv_heads = 0;
    int64_t head_dim = 0;
    int64_t embedding = 0;
    int64_t feed_forward = 0;
    int64_t context_length = 0;
    int64_t vocab_size = 0;
    uint64_t parameters = 0;
    uint64_t weight_bytes = 0;
    std::map<std::string, int> tensors_by_type;   // type name -> tensor count
    // K and V for 1,024 tokens across all layers, at kv_element_bytes per element.
    uint64_t kv_bytes_per_1k_tokens = 0;
    int kv_element_bytes = 4;
};

ModelSummary summarize_model(const GgufFile& file, int kv_element_bytes = 4);

}  // namespace engine
