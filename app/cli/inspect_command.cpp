// glimpse-cli inspect MODEL.gguf: what a model is and what it needs.
// glimpse-cli inspect --devices: the GPUs the CUDA plugin finds, or why it finds none.

#include "cli/commands.h"
#include "core/model_setup.h"
#include "engine/chat/chat_template.h"
#include "engine/device/cuda_plugin.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model_summary.h"
#include "engine/session/kv_rows.h"
#include "engine/tokenizer/tokenizer.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

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
    std::string chat_template;
    bool metadata = false;
    bool devices = false;
};

void print_devices() {
    const auto plugin = engine::CudaPlugin::load();
    std::printf("CPU: %u hardware threads\n", std::thread::hardware_concurrency());
    std::string why;
    const auto gpus = plugin.devices(&why);
    if (plugin.ok()) std::printf("CUDA plugin: %s\n", plugin.path().c_str());
    if (gpus.empty()) {
        std::printf("GPUs: none (%s)\n", why.c_str());
        return;
    }
    for (const auto& d : gpus)
        std::printf("GPU %d: %s, compute %d.%d, %d SMs, %s of %s free, driver %d.%d, runtime %d.%d\n", d.index,
                    d.name.c_str(), d.compute_major, d.compute_minor, d.multiprocessors, human_bytes(d.free_bytes).c_str(),
                    human_bytes(d.total_bytes).c_str(), d.driver_version / 1000, d.driver_version % 1000 / 10,
                    d.runtime_version / 1000, d.runtime_version % 1000 / 10);
}

std::string token_label(const engine::Tokenizer& tok, std::optional<int32_t> id) {
    if (!id) return "none";
    return std::to_string(*id) + " " + tok.token_to_piece(*id);
}

void run_inspect(const InspectOptions& opt) {
    if (opt.devices) return print_devices();
    auto path = resolve_model_path(opt.model);
    auto file = engine::GgufFile::open(path);
    auto s = engine::summarize_model(file);
    // Building the tokenizer validates the vocabulary; a broken one fails the command.
    auto tokenizer = engine::Tokenizer::from_gguf(file);
    std::string template_line;
    try {
        std::optional<std::string> override_name;
        if (!opt.chat_template.empty()) override_name = opt.chat_template;
        auto chat = engine::ChatTemplate::from_gguf(file, override_name);
        template_line = std::string(chat.family_name()) + (override_name ? " (override)" : "");
    } catch (const engine::Error& e) {
        if (!opt.chat_template.empty()) throw;   // a wrong override is the user's to fix
        // The model's own template is not one Glimpse renders: describing the model still
        // works, asking questions will need --chat-template.
        template_line = "not recognised";
        std::fprintf(stderr, "glimpse-cli: warning: %s\n", e.what());
    }

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
    std::printf("tokenizer:       %s (pre-tokenizer %s), %d tokens, BOS %s, EOS %s, EOT %s\n",
                std::string(tokenizer.model()).c_str(), std::string(tokenizer.pre()).c_str(), tokenizer.vocab_size(),
                token_label(tokenizer, tokenizer.bos()).c_str(), token_label(tokenizer, tokenizer.eos()).c_str(),
                token_label(tokenizer, tokenizer.eot()).c_str());
    std::printf("template family: %s\n", template_line.c_str());
    std::string types;
    for (const auto& [type, count] : s.tensors_by_type)
        types += (types.empty() ? "" : ", ") + type + " x" + std::to_string(count);
    std::printf("weight types:    %s\n", types.c_str());
    std::string kv;
    for (engine::GgmlType type : engine::kKvTypes) {
        const uint64_t bytes = s.kv_bytes_per_1k_tokens(type);
        kv += (kv.empty() ? "" : ", ") + (bytes ? human_bytes(bytes) : std::string("-")) + " " + engine::kv_type_name(type);
    }
    std::printf("memory:          weights %s + KV cache per 1K tokens (full cache): %s\n", human_bytes(s.weight_bytes).c_str(),
                kv.c_str());
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
    cmd->add_option("--chat-template", opt->chat_template,
                    "Use this chat template family instead of the model's (chatml, llama2, llama3, mistral-v1, mistral-v3, mistral-v7, gemma)");
    cmd->add_flag("--metadata", opt->metadata, "Also list every metadata key");
    cmd->add_flag("--devices", opt->devices, "List the GPUs the CUDA plugin finds (or why it finds none) instead");
    cmd->callback([opt] { run_inspect(*opt); });
}

}  // namespace glimpse::cli
