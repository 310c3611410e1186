#include "engine/process_memory.h"

#include <fstream>
#include <string>

namespace engine {
namespace {

std::int64_t status_field_bytes(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;  // kB
    }
    return 0;
}

}  // namespace

std::int64_t current_rss_bytes() { return status_field_bytes("VmRSS"); }
std::int64_t peak_rss_bytes() { return status_field_bytes("VmHWM"); }

bool reset_peak_rss() {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    return bool(clear);
}

}  // namespace engine
