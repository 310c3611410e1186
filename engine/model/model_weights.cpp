#include "engine/model/model_weights.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"

#include <cstdint>

namespace engine {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

class TensorFinder {
public:
    explicit TensorFinder(const GgufFile& file) : file_(file) {}

    const GgufTensorInfo& require(const std::string& name, const std::vector<int64_t>& shape) const {
        const GgufTensorInfo* t = file_.find_tensor(name);
        if (!t) throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + name + " is missing (expected shape " + shape_string(shape) + ")");
        check_shape(*t, shape);
        return *t;
    }

    WeightMatrix matrix(const std::string& name, int64_t rows, int64_t cols) const {
        const auto& t = require(name, {cols, rows});
        const auto& traits = ggml_type_traits(t.type);
        if (!traits.dequantizable)
            throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + name + " has type " + std::string(traits.name) +
                        ", which this engine cannot compute with");
        if (cols % traits.block_size != 0)
            throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + name + " rows of " + std::to_string(cols) +
                        " elements are not a whole number of " + std::string(traits.name) + " blocks");
        check_float_alignment(t);
        return WeightMatrix{t.data, t.type, rows, cols};
    }

    WeightVector vector(const std::string& name, int64_t size) const {
        const auto& t = require(name, {size});
        if (t.type != GgmlType::F32)
            throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + name + " has type " + std::string(ggml_type_name(t.type)) +
                        ", expected F32 for a 1-D weight");
        check_float_alignment(t);
        return WeightVector{reinterpret_cast<const float*>(t.data), size};
    }

    bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

private:
    // Kernels read F32 (and 16-bit) data in place; a file with an odd general.alignment
    // could place it off a float boundary.
    void check_float_alignment(const GgufTensorInfo& t) const {
        if (reinterpret_cast<uintptr_t>(t.data) % alignof(float) != 0)
            throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + t.name + " data is not 4-byte aligned (general.alignment " +
                        std::to_string(file_.alignment()) + ")");
    }

    void check_shape(const GgufTensorInfo& t, const std::vector<int64_t>& expected) const {
        // A trailing dimension of 1 is the same shape.
        std::vector<int64_t> found = t.shape;
        while (found.size() > expected.size() && found.back() == 1) found.pop_back();
        if (found != expected)
            throw Error(ErrorKind::BadFile, file_.name() + ": tensor " + t.name + " has shape " + shape_string(t.shape) +
                        ", expected " + shape_string(expected));
    }
    const GgufFile& file_;
};

}  // namespace

ModelWeights load_model_weights(const GgufFile& file, const ModelConfig& c) {
    TensorFinder find(file);
    ModelWeights w;
    w.token_embd = find.matrix("token_embd.weight", c.vocab_size, c.dim);
    w.output_norm = find.vector("output_norm.weight", c.dim);
    w.tied_output = !find.has("output.weight");
    w.output = w.tied_output ? w.token_embd : find.matrix("output.weight", c.vocab_size, c.dim);

    if (find.has("rope_freqs.weight")) {
        WeightVector f = find.vector("rope_freqs.weight", c.rope_dim / 2);
        w.rope_freq_factors.assign(f.data, f.data + f.size);
        for (float x : w.rope_freq_factors)
            if (!(x > 0.0f)) throw Error(ErrorKind::BadFile, file.name() + ": tensor rope_freqs.weight holds a non-positive factor");
    }

    w.layers.resize(static_cast<size_t>(c.n_layers));
    for (int64_t l = 0; l < c.n_layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        LayerWeights& L = w.layers[static_cast<size_t>(l)];
        L.attn_norm = find.vector(p + "attn_norm.weight", c.dim);
        L.wq = find.matrix(p + "attn_q.weight", c.q_dim(), c.dim);
        L.wk = find.matrix(p + "attn_k.weight", c.kv_dim(), c.dim);
        L.wv = find.matrix(p + "attn_v.weight", c.kv_dim(), c.dim);
        if (c.qkv_bias) {
            L.bq = find.vector(p + "attn_q.bias", c.q_dim());
            L.bk = find.vector(p + "attn_k.bias", c.kv_dim());
            L.bv = find.vector(p + "attn_v.bias", c.kv_dim());
        }
        if (c.qk_norm) {
            L.q_norm = find.vector(p + "attn_q_norm.weight", c.head_dim);
            L.k_norm = find.vector(p + "attn_k_norm.weight", c.head_dim);
        }
        L.wo = find.matrix(p + "attn_output.weight", c.dim, c.q_dim());
        L.ffn_norm = find.vector(p + "ffn_norm.weight", c.dim);
        L.w_gate = find.matrix(p + "ffn_gate.weight", c.ffn_dim, c.dim);
        L.w_up = find.matrix(p + "ffn_up.weight", c.ffn_dim, c.dim);
        L.w_down = find.matrix(p + "ffn_down.weight", c.dim, c.ffn_dim);
    }
    return w;
}

}  // namespace engine
