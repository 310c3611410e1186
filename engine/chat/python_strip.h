#pragma once
// Jinja's `trim` filter and Python's str.strip(): remove leading and trailing Unicode
// whitespace (as str.isspace() defines it) from UTF-8 text.

#include <string>
#include <string_view>

namespace engine::chat_detail {

std::string python_strip(std::string_view text);

}  // namespace engine::chat_detail
