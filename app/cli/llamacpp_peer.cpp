#include "cli/llamacpp_peer.h"

#include "cli/child_process.h"
#include "core/data_dir.h"
#include "engine/error.h"

#include <CLI/CLI.hpp>

#include <csignal>

namespace glimpse::cli {
namespace {

// The last non-empty line of a program's output: a Python traceback ends with the error.
std::string last_line(const std::string& text) {
    size_t end = text.find_last_not_of(" \n\r\t");
    if (end == std::string::npos) return {};
    size_t begin = text.rfind('\n', end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace

void add_llamacpp_options(CLI::App* cmd, LlamaCppPeer& peer) {
    cmd->add_flag("--compare-llamacpp", peer.compare,
                  "Also measure llama.cpp (PyPI llama-cpp-python) on the same model and threads; skipped with a "
                  "message when the interpreter cannot import llama_cpp");
    cmd->add_option("--llamacpp-python", peer.python,
                    "Python interpreter that has llama-cpp-python installed, e.g. a virtual environment's bin/python")
        ->default_val(peer.python);
    cmd->add_option("--llamacpp-script", peer.script,
                    "Path of bench_llamacpp.py (default: scripts/bench_llamacpp.py in the data directory)");
}

std::string llamacpp_unavailable(const LlamaCppPeer& peer) {
    const ChildResult r = run_child({peer.python, "-c", "import llama_cpp"}, ChildStderr::Capture);
    if (r.exit_code == 0) return {};
    const std::string why = r.exit_code == 127 ? "cannot be run (" + last_line(r.output) + ")"
                                               : "cannot import llama_cpp (" + last_line(r.output) + ")";
    return peer.python + " " + why + "; install llama-cpp-python (pip install llama-cpp-python) or choose an "
                                     "interpreter that has it with --llamacpp-python";
}

nlohmann::json run_llamacpp(const LlamaCppPeer& peer, const std::string& model_path,
                            const std::vector<std::string>& args) {
    const std::string script = peer.script.empty() ? data_file("scripts/bench_llamacpp.py").string() : peer.script;
    std::vector<std::string> argv{peer.python, script, model_path};
    argv.insert(argv.end(), args.begin(), args.end());
    const ChildResult r = run_child(argv);
    if (r.exit_code != 0)
        throw engine::Error("the llama.cpp comparison (" + peer.python + " " + script + ") " + describe_end(r) +
                            (r.signal == SIGILL ? "; its llama.cpp was built for instructions this CPU lacks (AVX-512?): "
                                                  "rebuild it as the README's bench section says"
                                                : "") +
                            (r.output.empty() ? "" : ": " + last_line(r.output)));
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw engine::Error("the llama.cpp comparison (" + script + ") printed no JSON: " + last_line(r.output));
    return j;
}

}  // namespace glimpse::cli
