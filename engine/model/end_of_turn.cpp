#include "engine/model/end_of_turn.h"

#include "engine/gguf/gguf_file.h"

#include <algorithm>
#include <string_view>

namespace engine {
namespace {

// End-of-turn tokens of common chat formats, counted as the end of a turn when present.
constexpr std::string_view kEndOfTurnTokens[] = {
    "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<end_of_turn>", "<|endoftext|>",
};

}  // namespace

std::vector<int32_t> end_of_turn_tokens(const GgufFile& file, int64_t vocab_size) {
    std::vector<int32_t> ends;
    for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
        auto id = file.get_int_opt(key);
        if (id && *id >= 0 && *id < vocab_size) ends.push_back(static_cast<int32_t>(*id));
    }
    if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens"); tokens && tokens->type() == GgufValueType::Array) {
        const GgufArray& list = tokens->as_array();
        if (list.element_type == GgufValueType::String)
            for (size_t id = 0; id < list.elements.size() && static_cast<int64_t>(id) < vocab_size; ++id)
                if (std::find(std::begin(kEndOfTurnTokens), std::end(kEndOfTurnTokens), list.elements[id].as_string()) !=
                    std::end(kEndOfTurnTokens))
                    ends.push_back(static_cast<int32_t>(id));
    }
    std::sort(ends.begin(), ends.end());
    ends.erase(std::unique(ends.begin(), ends.end()), ends.end());
    return ends;
}

}  // namespace engine
