#include "engine/model/model_config.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"

#include <cmath>
#include <numbers>

namespace engine {
namespace {

struct KeyReader {
    const GgufFile& file;
    std::string prefix;

    std::string key(const std::string& name) const { return prefix + "." + name; }

    int64_t positive_int(const std::string& name) const {
        int64_t v = file.get_int(key(name));
        if (v <= 0)
            throw Error(ErrorKind::BadFile, file.name() + ": " + key(name) + " must be positive, got " + std::to_string(v));
        return v;
    }
    int64_t positive_int_or(const std::string& name, int64_t fallback) const {
        auto v = file.get_int_opt(key(name));
        if (!v) return fallback;
        if (*v <= 0)
            throw Error(ErrorKind::BadFile, file.name() + ": " + key(name) + " must be positive, got " + std::to_string(*v));
        return *v;
    }
    float float_or(const std::string& name, float fallback) const {
        auto v = file.get_float_opt(key(name));
        return v ? static_cast<float>(*v) : fallback;
    }
};

Architecture parse_architecture(const GgufFile& file, const std::string& name) {
    if (name == "llama") return Architecture::Llama;
    if (name == "qwen2") return Architecture::Qwen2;
    if (name == "qwen3") return Architecture::Qwen3;
    throw Error(ErrorKind::BadFile, file.name() + ": architecture '" + name +
                "' is not supported (supported: llama, qwen2, qwen3)");
}

void read_rope_scaling(const GgufFile& file, const KeyReader& keys, ModelConfig& c) {
    auto type = file.get_string_opt(keys.key("rope.scaling.type"));
    if (!type || *type == "none") return;
    c.rope_scale_factor = keys.float_or("rope.scaling.factor", 1.0f);
    if (!(c.rope_scale_factor > 0.0f))
        throw Error(ErrorKind::BadFile, file.name() + ": " + keys.key("rope.scaling.factor") + " must be positive");
    if (*type == "linear") {
        c.rope_scaling = RopeScaling::Linear;
    } else if (*type == "llama3") {
        c.rope_scaling = RopeScaling::Llama3;
        c.rope_original_context = keys.positive_int_or("rope.scaling.original_context_length", 8192);
        c.rope_low_freq_factor = keys.float_or("rope.scaling.low_freq_factor", 1.0f);
        c.rope_high_freq_factor = keys.float_or("rope.scaling.high_freq_factor", 4.0f);
        if (!(c.rope_high_freq_factor > c.rope_low_freq_factor) || !(c.rope_low_freq_factor > 0.0f))
            throw Error(ErrorKind::BadFile, file.name() + ": llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor");
    } else {
        throw Error(ErrorKind::BadFile, file.name() + ": " + keys.key("rope.scaling.type") + " '" + *type +
                    "' is not supported (supported: none, linear, llama3)");
    }
}

}  // namespace

std::string architecture_name(Architecture arch) {
    switch (arch) {
    case Architecture::Llama: return "llama";
    case Architecture::Qwen2: return "qwen2";
    case Architecture::Qwen3: return "qwen3";
    }
    return "unknown";
}

ModelConfig read_model_config(const GgufFile& file) {
    ModelConfig c;
    c.arch_name = file.get_string("general.architecture");
    c.arch = parse_architecture(file, c.arch_name);
    KeyReader keys{file, c.arch_name};

    c.n_layers = keys.positive_int("block_count");
    c.dim = keys.positive_int("embedding_length");
    c.ffn_dim = keys.positive_int("feed_forward_length");
    c.n_heads = keys.positive_int("attention.head_count");
    c.n_kv_heads = keys.positive_int_or("attention.head_count_kv", c.n_heads);
    if (c.n_heads % c.n_kv_heads != 0)
        throw Error(ErrorKind::BadFile, file.name() + ": attention.head_count (" + std::to_string(c.n_heads) +
                    ") is not a multiple of attention.head_count_kv (" + std::to_string(c.n_kv_heads) + ")");

    int64_t default_head_dim = c.dim % c.n_heads == 0 ? c.dim / c.n_heads : 0;
    c.head_dim = keys.positive_int_or("attention.key_length", default_head_dim);
    int64_t value_dim = keys.positive_int_or("attention.value_length", c.head_dim);
    if (c.head_dim <= 0)
        throw Error(ErrorKind::BadFile, file.name() + ": " + keys.key("attention.key_length") +
                    " is missing and embedding_length is not a multiple of head_count");
    if (value_dim != c.head_dim)
        throw Error(ErrorKind::BadFile, file.name() + ": key_length " + std::to_string(c.head_dim) + " differs from value_length " +
                    std::to_string(value_dim) + ", which this engine does not support");
    c.rope_dim = keys.positive_int_or("rope.dimension_count", c.head_dim);
    if (c.rope_dim > c.head_dim || c.rope_dim % 2 != 0)
        throw Error(ErrorKind::BadFile, file.name() + ": rope.dimension_count " + std::to_string(c.rope_dim) +
                    " must be even and at most the head size " + std::to_string(c.head_dim));

    c.context_length = keys.positive_int_or("context_length", 4096);
    c.rms_eps = keys.float_or("attention.layer_norm_rms_epsilon", 1e-5f);
    if (!(c.rms_eps > 0.0f))
        throw Error(ErrorKind::BadFile, file.name() + ": attention.layer_norm_rms_epsilon must be positive");
    c.rope_base = keys.float_or("rope.freq_base", 10000.0f);
    if (!(c.rope_base > 1.0f))
        throw Error(ErrorKind::BadFile, file.name() + ": rope.freq_base must be greater than 1");
    read_rope_scaling(file, keys, c);

    c.rope_style = c.arch == Architecture::Llama ? RopeStyle::Normal : RopeStyle::Neox;
    c.qkv_bias = c.arch == Architecture::Qwen2;
    c.qk_norm = c.arch == Architecture::Qwen3;

    if (auto v = file.get_int_opt(keys.key("vocab_size"))) {
        c.vocab_size = *v;
    } else if (const auto* embd = file.find_tensor("token_embd.weight"); embd && embd->shape.size() == 2) {
        c.vocab_size = embd->shape[1];
    }
    if (c.vocab_size <= 0)
        throw Error(ErrorKind::BadFile, file.name() + ": cannot tell the vocabulary size (no " + keys.key("vocab_size") +
                    " and no 2-D token_embd.weight)");
    return c;
}

std::vector<float> rope_frequencies(const ModelConfig& c, const std::vector<float>& freq_factors) {
    const int64_t pairs = c.rope_dim / 2;
    std::vector<float> freqs(static_cast<size_t>(pairs));
    for (int64_t i = 0; i < pairs; ++i) {
        double freq = std::pow(static_cast<double>(c.rope_base), -2.0 * static_cast<double>(i) / static_cast<double>(c.rope_dim));
        if (!freq_factors.empty()) {
            freq /= freq_factors[static_cast<size_t>(i)];
        } else if (c.rope_scaling == RopeScaling::Linear) {
            freq /= c.rope_scale_factor;
        } else if (c.rope_scaling == RopeScaling::Llama3) {
            // Long wavelengths are slowed by the factor, short ones kept, the band between blended.
            const double old_ctx = static_cast<double>(c.rope_original_context);
            const double low_wavelen = old_ctx / c.rope_low_freq_factor;
            const double high_wavelen = old_ctx / c.rope_high_freq_factor;
            const double wavelen = 2.0 * std::numbers::pi / freq;
            if (wavelen > low_wavelen) {
                freq /= c.rope_scale_factor;
            } else if (wavelen >= high_wavelen) {
                double smooth = (old_ctx / wavelen - c.rope_low_freq_factor) /
                                (c.rope_high_freq_factor - c.rope_low_freq_factor);
                freq = (1.0 - smooth) * freq / c.rope_scale_factor + smooth * freq;
            }
        }
        freqs[static_cast<size_t>(i)] = static_cast<float>(freq);
    }
    return freqs;
}

}  // namespace engine
