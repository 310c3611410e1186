#pragma once
// Streams generated text while watching for stop strings: text that could still turn out
// to be the start of a stop string is held back until it is known not to be.

#include <string>
#include <string_view>
#include <vector>

namespace engine {

class StopStringFilter {
public:
    explicit StopStringFilter(std::vector<std::string> stops);

    // Adds text; returns the part that is safe to show now. After a stop string is seen,
    // returns the text before it and stopped() turns true.
    std::string push(std::string_view text);
    // The held-back remainder, at the end of generation.
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string pending_;
    bool stopped_ = false;
};

}  // namespace engine
