#pragma once
// Running another program and reading what it prints: the bench measures each configuration
// in a process of its own (peak RSS only grows) and runs the llama.cpp comparison script.

#include <string>
#include <vector>

namespace glimpse::cli {

enum class ChildStderr {
    Inherit,   // the child's messages reach the user's terminal
    Capture,   // they are read back with its output, for a message of our own
};

struct ChildResult {
    int exit_code = -1;   // 127: the program could not be started; -1: killed by a signal
    int signal = 0;       // the signal that killed it, or 0
    std::string output;
};

// How the child ended, for a message: "ended with status 3", "was killed by signal 4
// (Illegal instruction)".
std::string describe_end(const ChildResult& r);

// Runs argv[0] (looked up on PATH) with argv, without a shell, and reads its standard output
// (and standard error with ChildStderr::Capture) until it ends. Throws engine::Error only
// when no pipe or process can be made.
ChildResult run_child(const std::vector<std::string>& argv, ChildStderr stderr_mode = ChildStderr::Inherit);

// This program's own executable, for running a part of it again in a fresh process.
std::string own_executable();

}  // namespace glimpse::cli
