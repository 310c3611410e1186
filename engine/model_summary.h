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
    // K and V of 1,024 tokens across all layers, kept at `kv_type` (F32, F16 or Q8_0); 0 when
    // the heads cannot be kept at that type (Q8_0 needs whole blocks of 32).
    uint64_t kv_bytes_per_1k_tokens(GgmlType kv_type) const;
};

ModelSummary summarize_model(const GgufFile& file);

}  // namespace engine
