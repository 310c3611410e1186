#include "engine/tokenizer/byte_level.h"

#include "engine/tokenizer/utf8.h"

#include <array>
#include <unordered_map>

namespace engine {
namespace {

bool stands_for_itself(int byte) {
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

struct ByteLevelTables {
    std::array<std::string, 256> spelling;
    std::unordered_map<char32_t, unsigned char> byte_of;

    ByteLevelTables() {
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const char32_t cp = stands_for_itself(b) ? static_cast<char32_t>(b) : next++;
            append_utf8(spelling[b], cp);
            byte_of.emplace(cp, static_cast<unsigned char>(b));
        }
    }
};

const ByteLevelTables& tables() {
    static const ByteLevelTables instance;
    return instance;
}

}  // namespace

std::string_view byte_level_char(unsigned char byte) { return tables().spelling[byte]; }

std::string bytes_to_byte_level(std::string_view bytes) {
    const auto& t = tables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) out += t.spelling[static_cast<unsigned char>(c)];
    return out;
}

std::string byte_level_to_bytes(std::string_view text) {
    const auto& t = tables();
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const Utf8Step step = utf8_step(text, pos);
        if (step.status == Utf8Status::Valid) {
            if (auto it = t.byte_of.find(step.code_point); it != t.byte_of.end()) {
                out += static_cast<char>(it->second);
                pos += step.length;
                continue;
            }
        }
        out.append(text.substr(pos, step.length));
        pos += step.length;
    }
    return out;
}

}  // namespace engine
