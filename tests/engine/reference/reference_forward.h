#pragma once
// A deliberately naive double-precision transformer forward pass, written straight from
// the equations, to check the engine against. It reads weights from the GGUF file itself
// (dequantized to double) and takes the hyper-parameters from the spec the test wrote.

#include "tiny_model.h"

#include "engine/gguf/gguf_file.h"

#include <cstdint>
#include <vector>

namespace reference {

// Logits ([vocab]) at every position of `tokens`, computed with full causal attention.
// When `attention` is given it receives every softmax weight, indexed
// [((layer * n_heads + head) * n + query) * n + key] (zero for keys after the query).
std::vector<std::vector<double>> reference_logits(const engine::GgufFile& file, const TinySpec& spec,
                                                  const std::vector<int32_t>& tokens,
                                                  std::vector<double>* attention = nullptr);

// max |a - b| / max |b|: the error of `a` relative to the scale of `b`.
double relative_error(const std::vector<float>& a, const std::vector<double>& b);

}  // namespace reference
