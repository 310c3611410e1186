// Feeds arbitrary bytes to the GGUF reader and to everything that reads a model's
// metadata. Any outcome but a parsed file or an engine::Error is a bug.

#include "engine/chat/chat_template.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model_summary.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto file = engine::GgufFile::parse(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
        if (file.has("general.architecture")) engine::summarize_model(file);
        if (file.has("tokenizer.ggml.tokens")) {
            auto tokenizer = engine::Tokenizer::from_gguf(file);
            auto ids = tokenizer.encode("Hello <|im_start|> wörld 123", true, true);
            tokenizer.decode(ids);
        }
    } catch (const engine::Error&) {
    }
    try {
        auto file = engine::GgufFile::parse(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
        if (file.has("tokenizer.chat_template")) engine::ChatTemplate::from_gguf(file);
    } catch (const engine::Error&) {
    }
    return 0;
}
