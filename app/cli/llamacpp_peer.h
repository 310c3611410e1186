#pragma once
// llama.cpp measured beside Glimpse: scripts/bench_llamacpp.py run by a chosen Python
// interpreter that has llama-cpp-python (PyPI) installed.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace glimpse::cli {

struct LlamaCppPeer {
    bool compare = false;            // --compare-llamacpp
    std::string python = "python3";  // --llamacpp-python
    std::string script;              // --llamacpp-script; empty: scripts/bench_llamacpp.py in the data directory
};

// --compare-llamacpp, --llamacpp-python, --llamacpp-script.
void add_llamacpp_options(CLI::App* cmd, LlamaCppPeer& peer);

// Why llama.cpp cannot be measured with peer.python ("python3 cannot import llama_cpp: ...,
// install llama-cpp-python or choose an interpreter with --llamacpp-python"); empty when it can.
std::string llamacpp_unavailable(const LlamaCppPeer& peer);

// Runs the script on the model with `args` and returns the JSON it prints. Throws
// engine::Error with the end of what it printed when it fails.
nlohmann::json run_llamacpp(const LlamaCppPeer& peer, const std::string& model_path,
                            const std::vector<std::string>& args);

}  // namespace glimpse::cli
