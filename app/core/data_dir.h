#pragma once
// Where Glimpse's run-time resources (LookaheadKV adapters, corpora, samples, scripts) are
// found: never through a path compiled into the binary, so an installed copy and a build
// tree both work without the source tree.
//
//   $GLIMPSE_DATA_DIR                       when set
//   <executable's folder>/../share/glimpse  otherwise: /usr/bin/glimpse-cli -> /usr/share/glimpse,
//                                           build/app/glimpse-cli -> build/share/glimpse

#include <filesystem>
#include <string>
#include <string_view>

namespace glimpse {

struct DataDir {
    std::filesystem::path path;   // where resources are looked up (it may not exist)
    std::string origin;           // how it was chosen, for messages
};

// The data directory for a given $GLIMPSE_DATA_DIR value (null or empty: unset) and
// executable path. Pure: it does not look at the file system.
DataDir locate_data_dir(const char* env_value, const std::filesystem::path& executable);

// The data directory of this process, from the environment and /proc/self/exe.
DataDir data_dir();

// A named resource inside `dir` ("lookahead", "eval/haystack.jsonl"). Throws engine::Error
// naming where it looked when it is missing.
std::filesystem::path data_file(const DataDir& dir, std::string_view name);
std::filesystem::path data_file(std::string_view name);

}  // namespace glimpse
