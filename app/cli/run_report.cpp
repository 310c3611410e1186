#include "cli/run_report.h"

#include "engine/eviction/kv_footprint.h"
#include "engine/process_memory.h"

#include <cstdio>
#include <unistd.h>

namespace glimpse::cli {

void print_run_report(const PrefillTiming& prefill, const engine::GenerationStats& generation) {
    const double prefill_rate = prefill.seconds > 0 ? prefill.tokens / prefill.seconds : 0.0;
    std::fprintf(stderr,
                 "\n[prompt %lld tokens, prefill %.1f tok/s (%.2f s) | answer %lld tokens, decode %.1f tok/s | "
                 "peak RSS %.0f MiB]\n",
                 (long long)prefill.tokens, prefill_rate, prefill.seconds, (long long)generation.generated_tokens,
                 generation.tokens_per_second, engine::peak_rss_bytes() / 1048576.0);
}

void print_kv_report(const engine::Session& session, const std::string& policy, int64_t budget) {
    const std::string label = policy == "full" ? policy : policy + ", budget " + std::to_string(budget);
    std::fprintf(stderr, "[KV cache (%s): %s]\n", label.c_str(), engine::kv_footprint(session.cache()).summary().c_str());
}

engine::ProgressCallback terminal_progress(const char* label) {
    if (!isatty(STDERR_FILENO)) return {};
    return [label, last = -1](int64_t done, int64_t total) mutable {
        int percent = total > 0 ? int(100 * done / total) : 100;
        if (percent == last) return;
        last = percent;
        std::fprintf(stderr, "\r%s: %d%%", label, percent);
    };
}

void clear_terminal_progress() {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
}

}  // namespace glimpse::cli
