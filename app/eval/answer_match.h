#pragma once
// Scoring a response against expected answers, RULER-style: an answer counts as found when
// it appears in the response, ignoring ASCII case and differences in whitespace.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glimpse::eval {

// ASCII lower-case, every run of whitespace made one space, leading/trailing space removed.
std::string normalise_answer_text(std::string_view text);

// Whether the normalised expected answer occurs in the normalised response. An empty
// expected answer is never found.
bool answer_found(std::string_view response, std::string_view expected);

// The share of expected answers found in the response, in [0, 1]; nullopt when there is
// nothing expected (free-form tasks).
std::optional<double> answer_score(std::string_view response, const std::vector<std::string>& expected);

}  // namespace glimpse::eval
