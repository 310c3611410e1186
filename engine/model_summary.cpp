#include "engine/model_summary.h"

#include "engine/error.h"
#include "engine/session/kv_rows.h"

namespace engine {

ModelSummary summarize_model(const GgufFile& file) {
    ModelSummary s;
    s.architecture = file.get_string("general.architecture");
    s.name = file.get_string_opt("general.name").value_or("");
    const std::string& a = s.architecture;
    auto positive = [&](const std::string& key, std::optional<int64_t> v) -> int64_t {
        if (!v) return 0;
        if (*v <= 0 || *v > (int64_t(1) << 40))
            throw Error(file.name() + ": metadata '" + key + "': " + std::to_string(*v) + " is not a sensible size");
        return *v;
    };
    s.layers = positive(a + ".block_count", file.get_int_opt(a + ".block_count"));
    s.heads = positive(a + ".attention.head_count", file.get_int_opt(a + ".attention.head_count"));
    s.kv_heads = positive(a + ".attention.head_count_kv", file.get_int_opt(a + ".attention.head_count_kv"));
    if (s.kv_heads == 0) s.kv_heads = s.heads;
    s.embedding = positive(a + ".embedding_length", file.get_int_opt(a + ".embedding_length"));
    s.feed_forward = positive(a + ".feed_forward_length", file.get_int_opt(a + ".feed_forward_length"));
    s.context_length = positive(a + ".context_length", file.get_int_opt(a + ".context_length"));
    s.head_dim = positive(a + ".attention.key_length", file.get_int_opt(a + ".attention.key_length"));
    if (s.head_dim == 0 && s.heads > 0) s.head_dim = s.embedding / s.heads;
    if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens"); tokens && tokens->type() == GgufValueType::Array)
        s.vocab_size = static_cast<int64_t>(tokens->as_array().elements.size());
    else
        s.vocab_size = positive(a + ".vocab_size", file.get_int_opt(a + ".vocab_size"));

    for (const auto& t : file.tensors()) {
        s.parameters += static_cast<uint64_t>(t.n_elements);
        s.weight_bytes += t.size_bytes;
        s.tensors_by_type[std::string(ggml_type_name(t.type))] += 1;
    }
    return s;
}

uint64_t ModelSummary::kv_bytes_per_1k_tokens(GgmlType kv_type) const {
    if (head_dim <= 0 || head_dim % ggml_type_traits(kv_type).block_size != 0) return 0;
    return 2ull * static_cast<uint64_t>(layers) * static_cast<uint64_t>(kv_heads) *
           static_cast<uint64_t>(kv_row_bytes(kv_type, head_dim)) * 1024ull;
}

}  // namespace engine
