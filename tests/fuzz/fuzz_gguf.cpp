// Feeds arbitrary bytes to the GGUF reader and to everything that reads a model's
// metadata. Any outcome but a parsed file or an engine::Error is a bug.

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model_summary.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto file = engine::GgufFile::parse(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
        if (file.has("general.architecture")) engine::summarize_model(file);
    } catch (const engine::Error&) {
    }
    return 0;
}
