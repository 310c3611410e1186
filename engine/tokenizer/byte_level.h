#pragma once
// GPT-2's byte-level alphabet: every byte is shown as a printable code point (bytes that are
// printable Latin-1 stand for themselves, the rest take code points from U+0100 up), so a
// byte-level vocabulary can spell any byte string. Tokens are stored in this alphabet.

#include <string>
#include <string_view>

namespace engine {

// The UTF-8 spelling of `byte` in the byte-level alphabet.
std::string_view byte_level_char(unsigned char byte);

// Maps raw bytes into the byte-level alphabet.
std::string bytes_to_byte_level(std::string_view bytes);

// Maps a byte-level string back to raw bytes. A code point outside the alphabet (or invalid
// UTF-8) is kept as it is written, so a vocabulary with such tokens still decodes.
std::string byte_level_to_bytes(std::string_view text);

}  // namespace engine
