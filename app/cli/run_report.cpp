#include "cli/run_report.h"

#include "engine/eviction/kv_footprint.h"
#include "engine/eviction/policy_registry.h"
#include "engine/process_memory.h"

#include <cstdio>
#include <unistd.h>

namespace glimpse::cli {

void print_run_report(const TurnReport& turn) {
    const double prefill_rate = turn.read_seconds > 0 ? turn.read_tokens / turn.read_seconds : 0.0;
    const engine::GenerationStats& generation = turn.generation;
    std::fprintf(stderr,
                 "\n[prompt %lld tokens, prefill %.1f tok/s (%.2f s) | answer %lld tokens, decode %.1f tok/s | "
                 "peak RSS %.0f MiB]\n",
                 (long long)turn.read_tokens, prefill_rate, turn.read_seconds, (long long)generation.generated_tokens,
                 generation.tokens_per_second, engine::peak_rss_bytes() / 1048576.0);
}

void print_citations(const TurnReport& turn, size_t documents) {
    if (turn.cited.empty()) return;
    std::string line;
    for (const auto& c : turn.cited) {
        if (!line.empty()) line += ", ";
        if (documents > 1) line += "doc " + std::to_string(c.document + 1) + " ";
        line += "p. " + std::to_string(c.page) + " (" + std::to_string(static_cast<int>(c.share * 100.0 + 0.5)) + "%)";
    }
    std::fprintf(stderr, "[drew on: %s]\n", line.c_str());
}

void print_kv_report(const engine::Session& session, int64_t budget, int64_t windows) {
    const std::string policy = session.policy().name();
    std::string label = engine::policy_label(session.policy(), session.model());
    if (policy != "full") label += ", budget " + std::to_string(budget);
    if (windows > 1) label += ", read in " + std::to_string(windows) + " windows";
    std::fprintf(stderr, "[KV cache (%s): %s]\n", label.c_str(), engine::kv_footprint(session.cache()).summary().c_str());
}

engine::ProgressCallback terminal_progress(const char* label) {
    if (!isatty(STDERR_FILENO)) return {};
    return [label, last = -1](const engine::PrefillProgress& p) mutable {
        const int percent = p.total > 0 ? int(100 * p.done / p.total) : 100;
        if (percent == last) return;
        last = percent;
        std::fprintf(stderr, "\r\033[K%s: %d%% (%.*s, layer %lld/%lld, %.0f s left)", label, percent,
                     int(p.stage.size()), p.stage.data(), (long long)p.layer + 1, (long long)p.n_layers, p.eta_seconds());
    };
}

void clear_terminal_progress() {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
}

}  // namespace glimpse::cli
