#include "cli/child_process.h"

#include "engine/error.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace glimpse::cli {

ChildResult run_child(const std::vector<std::string>& argv, ChildStderr stderr_mode) {
    if (argv.empty()) throw engine::Error("run_child: no program to run");
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) throw engine::Error(std::string("cannot make a pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    if (stderr_mode == ChildStderr::Capture) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    ChildResult result;
    if (spawned != 0) {
        close(pipe_fds[0]);
        result.exit_code = 127;
        result.output = argv[0] + ": " + std::strerror(spawned);
        return result;
    }
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t got = read(pipe_fds[0], buffer.data(), buffer.size());
        if (got > 0) {
            result.output.append(buffer.data(), static_cast<size_t>(got));
        } else if (got < 0 && errno == EINTR) {
            continue;
        } else {
            break;
        }
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return result;
}

std::string describe_end(const ChildResult& r) {
    if (r.signal != 0) return "was killed by signal " + std::to_string(r.signal) + " (" + strsignal(r.signal) + ")";
    return "ended with status " + std::to_string(r.exit_code);
}

std::string own_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

}  // namespace glimpse::cli
