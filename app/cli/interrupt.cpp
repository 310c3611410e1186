#include "cli/interrupt.h"

#include <csignal>

namespace glimpse::cli {
namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_sigint(int) {
    if (interrupted.load()) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
        return;
    }
    interrupted.store(true);
}

}  // namespace

const std::atomic<bool>* install_interrupt_flag() {
    std::signal(SIGINT, on_sigint);
    return &interrupted;
}

void clear_interrupt_flag() { interrupted.store(false); }

}  // namespace glimpse::cli
