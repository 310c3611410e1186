#pragma once
// The one error type the engine throws. Messages are written for the person who will
// read them: they name the file, the field and what is wrong with it. The kind lets a
// caller choose what to do next without reading the message.

#include <stdexcept>
#include <string>

namespace engine {

enum class ErrorKind {
    Invalid,       // a wrong argument or option: fix the request
    BadFile,       // a file that is damaged, truncated or not what it claims to be
    WrongModel,    // a snapshot or adapter made for another model: read the document again / pick another
    OutOfMemory,   // the work does not fit the memory available: lower the budget or the prompt
    Cancelled,     // the caller asked to stop
    Io,            // the file system refused (missing, no permission, disk full)
};

// "invalid", "bad file", ...: for logs and messages.
const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ErrorKind kind = ErrorKind::Invalid)
        : std::runtime_error(message), kind_(kind) {}
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

private:
    ErrorKind kind_;
};

}  // namespace engine
