#pragma once
// Ctrl-C stops the current prefill or answer instead of killing the program.

#include <atomic>

namespace glimpse::cli {

// Installs a SIGINT handler that raises the returned flag; a second Ctrl-C while the flag
// is still up ends the program as usual.
const std::atomic<bool>* install_interrupt_flag();
void clear_interrupt_flag();

}  // namespace glimpse::cli
