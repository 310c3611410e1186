#pragma once
// Resident memory of this process, from /proc (Linux); 0 where unavailable.

#include <cstdint>

namespace engine {

std::int64_t current_rss_bytes();
std::int64_t peak_rss_bytes();
// Resets the peak to the current value, so a later peak_rss_bytes() measures one task.
// Returns false where the kernel does not allow it.
bool reset_peak_rss();

}  // namespace engine
