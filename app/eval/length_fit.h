#pragma once
// Finding how much filler fits a token budget. Token counts grow with the amount of text
// but not strictly (a tokenizer may merge across a boundary), so every answer returned
// here was itself measured to fit: the prompt is never over the target.

#include <cstdint>
#include <functional>
#include <string_view>

namespace glimpse::eval {

// Counts the model tokens of a text; the real tokenizer plugs in here.
using TokenCounter = std::function<int(std::string_view)>;

// The largest n in [0, limit] for which fits(n) holds, searching outward from `hint` and then
// bisecting; assumes fits is true up to some n and false after. Returns -1 when fits(0) fails.
int64_t largest_fitting_count(const std::function<bool(int64_t)>& fits, int64_t hint, int64_t limit);

}  // namespace glimpse::eval
