#include "tiny_model.h"

#include "engine/gguf/gguf_writer.h"

#include <cmath>
#include <numbers>
#include <random>

namespace reference {

std::vector<double> reference_rope_frequencies(const TinySpec& s) {
    std::vector<double> f;
    for (int64_t i = 0; i < s.head_dim / 2; ++i) {
        double freq = 1.0 / std::pow(s.rope_base, static_cast<double>(2 * i) / static_cast<double>(s.head_dim));
        if (s.llama3_scaling || s.rope_freqs_tensor) {
            double wavelen = 2.0 * std::numbers::pi / freq;
            double low_wavelen = static_cast<double>(s.original_context) / s.low_freq_factor;
            double high_wavelen = static_cast<double>(s.original_context) / s.high_freq_factor;
            if (wavelen < high_wavelen) {
                // unchanged
            } else if (wavelen > low_wavelen) {
                freq = freq / s.scale_factor;
            } else {
                double smooth = (static_cast<double>(s.original_context) / wavelen - s.low_freq_factor) /
                                (s.high_freq_factor - s.low_freq_factor);
                freq = (1.0 - smooth) * freq / s.scale_factor + smooth * freq;
            }
        }
        f.push_back(freq);
    }
    return f;
}

std::vector<uint8_t> write_tiny_model(const TinySpec& s, uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto random = [&](int64_t n, double scale) {
        std::normal_distribution<float> normal(0.0f, static_cast<float>(scale));
        std::vector<float> v(static_cast<size_t>(n));
        for (auto& x : v) x = normal(rng);
        return v;
    };
    auto around_one = [&](int64_t n) {
        auto v = random(n, 0.1);
        for (auto& x : v) x += 1.0f;
        return v;
    };

    struct Writer : engine::GgufWriter {
        const TinySpec* spec = nullptr;
        void add_tensor_f32(const std::string& name, std::vector<int64_t> shape, std::vector<float> values,
                            engine::GgmlType type = engine::GgmlType::F32) {
            if (name == spec->omit_tensor) return;
            if (name == spec->misshape_tensor) {
                const int64_t row = shape[0];
                shape.size() == 1 ? shape[0] += 32 : shape[1] += 1;
                values.resize(values.size() + static_cast<size_t>(shape.size() == 1 ? 32 : row), 0.5f);
            }
            engine::GgufWriter::add_tensor_f32(name, std::move(shape), values, type);
        }
    } w;
    w.spec = &s;
    const std::string a = s.arch;
    w.set_string("general.architecture", a);
    w.set_string("general.name", "tiny-" + a);
    w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layers));
    w.set_u32(a + ".context_length", 4096);
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.dim));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.ffn_dim));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_heads));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_kv_heads));
    if (s.head_dim * s.n_heads != s.dim) {
        w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(s.head_dim));
        w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(s.head_dim));
    }
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.head_dim));
    w.set_f32(a + ".rope.freq_base", static_cast<float>(s.rope_base));
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", static_cast<float>(s.rms_eps));
    w.set_u32(a + ".vocab_size", static_cast<uint32_t>(s.vocab));
    w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(s.eos_token));
    if (s.llama3_scaling) {
        w.set_string(a + ".rope.scaling.type", "llama3");
        w.set_f32(a + ".rope.scaling.factor", static_cast<float>(s.scale_factor));
        w.set_u32(a + ".rope.scaling.original_context_length", static_cast<uint32_t>(s.original_context));
        w.set_f32(a + ".rope.scaling.low_freq_factor", static_cast<float>(s.low_freq_factor));
        w.set_f32(a + ".rope.scaling.high_freq_factor", static_cast<float>(s.high_freq_factor));
    }
    if (s.rope_freqs_tensor) {
        // Llama 3.1 files store base_freq / scaled_freq per pair.
        TinySpec plain = s;
        plain.llama3_scaling = plain.rope_freqs_tensor = false;
        auto base = reference_rope_frequencies(plain), scaled = reference_rope_frequencies(s);
        std::vector<float> factors;
        for (size_t i = 0; i < base.size(); ++i) factors.push_back(static_cast<float>(base[i] / scaled[i]));
        w.add_tensor_f32("rope_freqs.weight", {s.head_dim / 2}, factors);
    }

    const double in_scale = 1.0 / std::sqrt(static_cast<double>(s.dim));
    const int64_t q_dim = s.n_heads * s.head_dim, kv_dim = s.n_kv_heads * s.head_dim;
    w.add_tensor_f32("token_embd.weight", {s.dim, s.vocab}, random(s.dim * s.vocab, 1.0), s.embedding_type);
    w.add_tensor_f32("output_norm.weight", {s.dim}, around_one(s.dim));
    if (!s.tied_output)
        w.add_tensor_f32("output.weight", {s.dim, s.vocab}, random(s.dim * s.vocab, in_scale), s.matrix_type);
    for (int64_t l = 0; l < s.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        w.add_tensor_f32(p + "attn_norm.weight", {s.dim}, around_one(s.dim));
        w.add_tensor_f32(p + "attn_q.weight", {s.dim, q_dim}, random(s.dim * q_dim, in_scale * 2.0), s.matrix_type);
        w.add_tensor_f32(p + "attn_k.weight", {s.dim, kv_dim}, random(s.dim * kv_dim, in_scale * 2.0), s.matrix_type);
        w.add_tensor_f32(p + "attn_v.weight", {s.dim, kv_dim}, random(s.dim * kv_dim, in_scale), s.matrix_type);
        if (s.qkv_bias()) {
            w.add_tensor_f32(p + "attn_q.bias", {q_dim}, random(q_dim, 0.2));
            w.add_tensor_f32(p + "attn_k.bias", {kv_dim}, random(kv_dim, 0.2));
            w.add_tensor_f32(p + "attn_v.bias", {kv_dim}, random(kv_dim, 0.2));
        }
        if (s.qk_norm()) {
            w.add_tensor_f32(p + "attn_q_norm.weight", {s.head_dim}, around_one(s.head_dim));
            w.add_tensor_f32(p + "attn_k_norm.weight", {s.head_dim}, around_one(s.head_dim));
        }
        w.add_tensor_f32(p + "attn_output.weight", {q_dim, s.dim},
                         random(q_dim * s.dim, 1.0 / std::sqrt(static_cast<double>(q_dim))), s.matrix_type);
        w.add_tensor_f32(p + "ffn_norm.weight", {s.dim}, around_one(s.dim));
        w.add_tensor_f32(p + "ffn_gate.weight", {s.dim, s.ffn_dim}, random(s.dim * s.ffn_dim, in_scale), s.matrix_type);
        w.add_tensor_f32(p + "ffn_up.weight", {s.dim, s.ffn_dim}, random(s.dim * s.ffn_dim, in_scale), s.matrix_type);
        w.add_tensor_f32(p + "ffn_down.weight", {s.ffn_dim, s.dim},
                         random(s.ffn_dim * s.dim, 1.0 / std::sqrt(static_cast<double>(s.ffn_dim))), s.matrix_type);
    }
    return w.to_bytes();
}

}  // namespace reference
