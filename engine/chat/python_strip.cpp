#include "engine/chat/python_strip.h"

#include <cstdint>

namespace engine::chat_detail {
namespace {

// Code points for which Python's str.isspace() is true.
bool is_python_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Decodes the code point starting at `i`; returns its length, or 0 for invalid UTF-8.
size_t decode_at(std::string_view s, size_t i, uint32_t& cp) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
        unsigned char d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3F);
    }
    return n;
}

}  // namespace

std::string python_strip(std::string_view text) {
    size_t begin = 0;
    while (begin < text.size()) {
        uint32_t cp = 0;
        size_t n = decode_at(text, begin, cp);
        if (n == 0 || !is_python_space(cp)) break;
        begin += n;
    }
    size_t end = text.size();
    while (end > begin) {
        // Step back to the start of the last code point.
        size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        uint32_t cp = 0;
        size_t n = decode_at(text, start, cp);
        if (n != end - start || !is_python_space(cp)) break;
        end = start;
    }
    return std::string(text.substr(begin, end - begin));
}

}  // namespace engine::chat_detail
