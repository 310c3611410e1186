#include "core/data_dir.h"

#include "engine/error.h"

#include <cstdlib>
#include <system_error>

namespace glimpse {

DataDir locate_data_dir(const char* env_value, const std::filesystem::path& executable) {
    if (env_value && *env_value) return {std::filesystem::path(env_value), "from $GLIMPSE_DATA_DIR"};
    if (executable.empty()) return {{}, "(the executable's path is unknown and $GLIMPSE_DATA_DIR is not set)"};
    const auto dir = (executable.parent_path() / ".." / "share" / "glimpse").lexically_normal();
    return {dir, "beside the executable " + executable.string()};
}

DataDir data_dir() {
    std::error_code ec;
    const auto executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    return locate_data_dir(std::getenv("GLIMPSE_DATA_DIR"), ec ? std::filesystem::path() : executable);
}

std::filesystem::path data_file(const DataDir& dir, std::string_view name) {
    if (dir.path.empty())
        throw engine::Error("cannot find Glimpse's resource " + std::string(name) + " " + dir.origin +
                            "; set GLIMPSE_DATA_DIR to the folder holding Glimpse's resources (share/glimpse)");
    const auto path = dir.path / name;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
    const bool dir_exists = std::filesystem::is_directory(dir.path, ec);
    throw engine::Error("cannot find Glimpse's resource " + std::string(name) + ": looked for " + path.string() +
                        " (data directory " + dir.path.string() + " " + dir.origin +
                        (dir_exists ? "" : ", which does not exist") +
                        "); set GLIMPSE_DATA_DIR to the folder holding Glimpse's resources (share/glimpse)");
}

std::filesystem::path data_file(std::string_view name) { return data_file(data_dir(), name); }

}  // namespace glimpse
