#pragma once
// The one error type the engine throws. Messages are written for the person who will
// read them: they name the file, the field and what is wrong with it.

#include <stdexcept>
#include <string>

namespace engine {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace engine
