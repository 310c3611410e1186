// glimpse-cli inspect MODEL.gguf: what a model is and what it needs.

#include "cli/commands.h"
#include "cli/model_path.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model_summary.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace glimpse::cli {
namespace {

std::string human_bytes(uint64_t bytes) {
    char buf[64];
    if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / double(1ull << 30));
    else if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / double(1ull << 20));
    else std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
    return buf;
}

struct InspectOptions {
    std::string model;
    bool metadata = false;
};

void run_inspect(const InspectOptions& opt) {
    auto path = resolve_model_path(opt.model);
    auto file = engine::GgufFile::open(path);
    auto s = engine::summarize_model(file);

    std::printf("file:            %s (GGUF v%u, %s)\n", path.c_str(), file.version(), human_bytes(file.file_size()).c_str());
    if (!s.name.empty()) std::printf("name:            %s\n", s.name.c_str());
    std::printf("architecture:    %s\n", s.architecture.c_str());
    std::printf("parameters:      %.1f M\n", s.parameters / 1e6);
    std::printf("layers:          %lld\n", (long long)s.layers);
    std::printf("heads:           %lld\n", (long long)s.heads);
    std::printf("kv heads:        %lld\n", (long long)s.kv_heads);
    std::printf("head dim:        %lld\n", (long long)s.head_dim);
    std::printf("embedding:       %lld\n", (long long)s.embedding);
    std::printf("feed forward:    %lld\n", (long long)s.feed_forward);
    std::printf("context length:  %lld\n", (long long)s.context_length);
    std::printf("vocabulary:      %lld\n", (long long)s.vocab_size);
    std::string types;
    for (const auto& [type, count] : s.tensors_by_type)
        types += (types.empty() ? "" : ", ") + type + " x" + std::to_string(count);
    std::printf("weight types:    %s\n", types.c_str());
    std::printf("memory:          weights %s + KV cache %s per 1K tokens (f32, full cache)\n",
                human_bytes(s.weight_bytes).c_str(), human_bytes(s.kv_bytes_per_1k_tokens).c_str());
    if (opt.metadata) {
        std::printf("metadata:\n");
        for (const auto& [key, value] : file.metadata())
            std::printf("  %-40s %s\n", key.c_str(), value.to_display_string().c_str());
    }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
    auto opt = std::make_shared<InspectOptions>();
    auto* cmd = app.add_subcommand("inspect", "Describe a GGUF model: shape, weight types, tokenizer, chat template, memory");
    cmd->add_option("model", opt->model, "GGUF model file (default: the default model)");
    cmd->add_flag("--metadata", opt->metadata, "Also list every metadata key");
    cmd->callback([opt] { run_inspect(*opt); });
}

}  // namespace glimpse::cli
