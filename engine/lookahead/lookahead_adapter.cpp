#include "engine/lookahead/lookahead_adapter.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/model/model.h"
#include "engine/quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace engine {
namespace {

constexpr const char* kAdapterType = "lookahead_kv";

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string lora_tensor_name(int64_t layer, LoraTarget t, char which) {
    return "blk." + std::to_string(layer) + ".lora_" + std::string(lora_target_name(t)) + "." + which;
}

void check_options(const LookaheadOptions& o, const std::string& where) {
    auto bad = [&](const std::string& what) { throw Error(ErrorKind::BadFile, where + ": " + what); };
    if (o.n_tokens <= 0 || o.n_tokens > 4096) bad("lookahead token count " + std::to_string(o.n_tokens) + " is not in 1..4096");
    if (o.rank <= 0 || o.rank > 1024) bad("LoRA rank " + std::to_string(o.rank) + " is not in 1..1024");
    if (!std::isfinite(o.alpha) || o.alpha <= 0.0f) bad("LoRA alpha " + std::to_string(o.alpha) + " is not a positive number");
    if (o.pool_kernel <= 0 || o.pool_kernel % 2 == 0)
        bad("pool kernel " + std::to_string(o.pool_kernel) + " is not a positive odd number");
    if (o.recent_window < 0) bad("recent window " + std::to_string(o.recent_window) + " is negative");
    for (size_t i = 0; i < o.targets.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (o.targets[i] == o.targets[j])
                bad("LoRA target " + std::string(lora_target_name(o.targets[i])) + " is listed twice");
}

void check_base(const LookaheadBase& found, const LookaheadBase& model, const std::string& file, const std::string& model_name) {
    if (found.fingerprint != model.fingerprint)
        throw Error(ErrorKind::WrongModel, file + " is a LookaheadKV adapter for another model: it was made for model fingerprint " +
                    hex(found.fingerprint) + ", but " + model_name + " has fingerprint " + hex(model.fingerprint));
    auto same = [&](const char* what, int64_t a, int64_t b) {
        if (a != b)
            throw Error(ErrorKind::WrongModel, file + ": adapter " + what + " is " + std::to_string(a) + " but " + model_name + " has " +
                        std::to_string(b));
    };
    if (found.architecture != model.architecture)
        throw Error(ErrorKind::WrongModel, file + ": adapter architecture is " + found.architecture + " but " + model_name + " is " +
                    model.architecture);
    same("embedding width", found.dim, model.dim);
    same("layer count", found.n_layers, model.n_layers);
    same("head count", found.n_heads, model.n_heads);
    same("KV head count", found.n_kv_heads, model.n_kv_heads);
    same("head width", found.head_dim, model.head_dim);
    same("feed-forward width", found.ffn_dim, model.ffn_dim);
}

std::vector<float> read_f32_tensor(const GgufFile& file, const std::string& name, std::vector<int64_t> shape) {
    const GgufTensorInfo* t = file.find_tensor(name);
    if (!t) throw Error(ErrorKind::BadFile, file.name() + ": adapter tensor " + name + " is missing");
    auto shape_text = [](const std::vector<int64_t>& s) {
        std::string out = "[";
        for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
    };
    if (t->type != GgmlType::F32)
        throw Error(ErrorKind::BadFile, file.name() + ": adapter tensor " + name + " is " + std::string(ggml_type_name(t->type)) + ", expected F32");
    if (t->shape != shape)
        throw Error(ErrorKind::BadFile, file.name() + ": adapter tensor " + name + " has shape " + shape_text(t->shape) + ", expected " +
                    shape_text(shape));
    std::vector<float> v(static_cast<size_t>(t->n_elements));
    std::memcpy(v.data(), t->data, v.size() * sizeof(float));
    for (float x : v)
        if (!std::isfinite(x)) throw Error(ErrorKind::BadFile, file.name() + ": adapter tensor " + name + " holds a NaN or infinity");
    return v;
}

int64_t read_count(const GgufFile& file, const char* key) {
    const int64_t v = file.get_int(key);
    if (v < 0 || v > (int64_t{1} << 31)) throw Error(file.name() + ": " + key + " = " + std::to_string(v) + " is out of range");
    return v;
}

// Checks the adapter's sizes and lays it out as a GGUF file.
GgufWriter adapter_writer(const LookaheadAdapter& adapter) {
    const LookaheadBase& base = adapter.base;
    const LookaheadOptions& options = adapter.options;
    const auto& embeddings = adapter.embeddings;
    const auto& lora = adapter.lora;
    check_options(options, "LookaheadKV adapter");
    GgufWriter w;
    w.set_string("general.type", "adapter");
    w.set_string("general.architecture", base.architecture);
    w.set_string("adapter.type", kAdapterType);
    w.set("lookahead.base.fingerprint", GgufValue::from_uint(GgufValueType::UInt64, base.fingerprint));
    w.set_u32("lookahead.base.embedding_length", static_cast<uint32_t>(base.dim));
    w.set_u32("lookahead.base.block_count", static_cast<uint32_t>(base.n_layers));
    w.set_u32("lookahead.base.head_count", static_cast<uint32_t>(base.n_heads));
    w.set_u32("lookahead.base.head_count_kv", static_cast<uint32_t>(base.n_kv_heads));
    w.set_u32("lookahead.base.head_dim", static_cast<uint32_t>(base.head_dim));
    w.set_u32("lookahead.base.feed_forward_length", static_cast<uint32_t>(base.ffn_dim));
    w.set_u32("lookahead.token_count", static_cast<uint32_t>(options.n_tokens));
    w.set_u32("lookahead.lora.rank", static_cast<uint32_t>(options.rank));
    w.set_f32("lookahead.lora.alpha", options.alpha);
    std::vector<std::string> names;
    for (LoraTarget t : options.targets) names.emplace_back(lora_target_name(t));
    w.set("lookahead.lora.targets", GgufValue::string_array(names));
    w.set_u32("lookahead.score.pool_kernel", static_cast<uint32_t>(options.pool_kernel));
    w.set_u32("lookahead.score.recent_window", static_cast<uint32_t>(options.recent_window));

    if (static_cast<int64_t>(embeddings.size()) != options.n_tokens * base.dim)
        throw Error("LookaheadKV adapter: embeddings hold " + std::to_string(embeddings.size()) + " floats, expected " +
                    std::to_string(options.n_tokens * base.dim));
    w.add_tensor_f32("lookahead.embeddings", {base.dim, options.n_tokens}, embeddings);
    if (static_cast<int64_t>(lora.size()) != base.n_layers)
        throw Error("LookaheadKV adapter: LoRA for " + std::to_string(lora.size()) + " layers, the base has " +
                    std::to_string(base.n_layers));
    ModelConfig shape;
    shape.dim = base.dim;
    shape.ffn_dim = base.ffn_dim;
    shape.n_heads = base.n_heads;
    shape.n_kv_heads = base.n_kv_heads;
    shape.head_dim = base.head_dim;
    for (int64_t l = 0; l < base.n_layers; ++l)
        for (LoraTarget t : options.targets) {
            const LoraMatrices& m = lora[static_cast<size_t>(l)][lora_index(t)];
            const int64_t in = lora_target_in(shape, t), out = lora_target_out(shape, t);
            if (static_cast<int64_t>(m.a.size()) != options.rank * in || static_cast<int64_t>(m.b.size()) != out * options.rank)
                throw Error("LookaheadKV adapter: " + lora_tensor_name(l, t, 'a') + " or its B has the wrong size");
            w.add_tensor_f32(lora_tensor_name(l, t, 'a'), {in, options.rank}, m.a);
            w.add_tensor_f32(lora_tensor_name(l, t, 'b'), {options.rank, out}, m.b);
        }
    return w;
}

}  // namespace

LookaheadBase LookaheadBase::of(const Model& model) {
    const ModelConfig& c = model.config();
    return {model.fingerprint(), c.arch_name, c.dim, c.n_layers, c.n_heads, c.n_kv_heads, c.head_dim, c.ffn_dim};
}

bool LookaheadAdapter::targets(LoraTarget target) const {
    return std::find(options.targets.begin(), options.targets.end(), target) != options.targets.end();
}

LookaheadAdapter LookaheadAdapter::initialize(const Model& model, const LookaheadOptions& options, uint64_t seed) {
    check_options(options, "LookaheadKV adapter options");
    const ModelConfig& c = model.config();
    LookaheadAdapter a;
    a.base = LookaheadBase::of(model);
    a.options = options;

    // Mean norm of the token embeddings, so lookahead rows enter layer 0 at a familiar scale.
    const WeightMatrix& table = model.weights().token_embd;
    std::vector<float> row(static_cast<size_t>(table.cols));
    double norm_sum = 0.0;
    for (int64_t r = 0; r < table.rows; ++r) {
        dequantize_row(table.type, table.row(r), row.data(), table.cols);
        double ss = 0.0;
        for (float x : row) ss += static_cast<double>(x) * x;
        norm_sum += std::sqrt(ss);
    }
    const double mean_norm = norm_sum / static_cast<double>(std::max<int64_t>(table.rows, 1));

    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    a.embeddings.resize(static_cast<size_t>(options.n_tokens * c.dim));
    for (int64_t i = 0; i < options.n_tokens; ++i) {
        std::vector<double> g(static_cast<size_t>(c.dim));
        double ss = 0.0;
        for (double& x : g) {
            x = normal(rng);
            ss += x * x;
        }
        const double k = mean_norm / std::sqrt(std::max(ss, 1e-30));
        for (int64_t j = 0; j < c.dim; ++j) a.embeddings[static_cast<size_t>(i * c.dim + j)] = static_cast<float>(g[static_cast<size_t>(j)] * k);
    }

    a.lora.resize(static_cast<size_t>(c.n_layers));
    for (auto& layer : a.lora)
        for (LoraTarget t : options.targets) {
            const int64_t in = lora_target_in(c, t), out = lora_target_out(c, t);
            const double bound = 1.0 / std::sqrt(static_cast<double>(in));
            std::uniform_real_distribution<double> uniform(-bound, bound);
            LoraMatrices& m = layer[lora_index(t)];
            m.a.resize(static_cast<size_t>(options.rank * in));
            for (float& x : m.a) x = static_cast<float>(uniform(rng));
            m.b.assign(static_cast<size_t>(out * options.rank), 0.0f);
        }
    return a;
}

std::vector<uint8_t> LookaheadAdapter::to_bytes() const { return adapter_writer(*this).to_bytes(); }

void LookaheadAdapter::save(const std::filesystem::path& path) const { adapter_writer(*this).write(path); }

LookaheadAdapter LookaheadAdapter::load(const std::filesystem::path& path, const Model& model) {
    return from_file(GgufFile::open(path), model);
}

LookaheadAdapter LookaheadAdapter::from_file(const GgufFile& file, const Model& model) {
    const std::string& name = file.name();
    const auto type = file.get_string_opt("general.type");
    if (type != "adapter")
        throw Error(ErrorKind::BadFile, name + " is not an adapter file (general.type is " + (type ? "'" + *type + "'" : "missing") + ")");
    const auto adapter_type = file.get_string_opt("adapter.type");
    if (adapter_type != kAdapterType)
        throw Error(ErrorKind::BadFile, name + " is not a LookaheadKV adapter (adapter.type is " +
                    (adapter_type ? "'" + *adapter_type + "'" : "missing") + ")");

    LookaheadAdapter a;
    const GgufValue& fp = file.get("lookahead.base.fingerprint");
    a.base.fingerprint = fp.as_uint();
    a.base.architecture = file.get_string("general.architecture");
    a.base.dim = read_count(file, "lookahead.base.embedding_length");
    a.base.n_layers = read_count(file, "lookahead.base.block_count");
    a.base.n_heads = read_count(file, "lookahead.base.head_count");
    a.base.n_kv_heads = read_count(file, "lookahead.base.head_count_kv");
    a.base.head_dim = read_count(file, "lookahead.base.head_dim");
    a.base.ffn_dim = read_count(file, "lookahead.base.feed_forward_length");
    check_base(a.base, LookaheadBase::of(model), name, model.file().name());

    a.options.n_tokens = read_count(file, "lookahead.token_count");
    a.options.rank = read_count(file, "lookahead.lora.rank");
    a.options.alpha = static_cast<float>(file.get_float("lookahead.lora.alpha"));
    a.options.pool_kernel = read_count(file, "lookahead.score.pool_kernel");
    a.options.recent_window = read_count(file, "lookahead.score.recent_window");
    a.options.targets.clear();
    for (const GgufValue& v : file.get_array("lookahead.lora.targets", GgufValueType::String).elements) {
        auto t = lora_target_from_name(v.as_string());
        if (!t)
            throw Error(name + ": unknown LoRA target '" + v.as_string() +
                        "' in lookahead.lora.targets (known: q, k, v, o, gate, up, down)");
        a.options.targets.push_back(*t);
    }
    check_options(a.options, name);

    const ModelConfig& c = model.config();
    a.embeddings = read_f32_tensor(file, "lookahead.embeddings", {c.dim, a.options.n_tokens});
    a.lora.resize(static_cast<size_t>(c.n_layers));
    for (int64_t l = 0; l < c.n_layers; ++l)
        for (LoraTarget t : a.options.targets) {
            LoraMatrices& m = a.lora[static_cast<size_t>(l)][lora_index(t)];
            m.a = read_f32_tensor(file, lora_tensor_name(l, t, 'a'), {lora_target_in(c, t), a.options.rank});
            m.b = read_f32_tensor(file, lora_tensor_name(l, t, 'b'), {a.options.rank, lora_target_out(c, t)});
        }
    return a;
}

std::string adapter_file_name(const std::filesystem::path& model_path) {
    return model_path.stem().string() + ".lookahead.gguf";
}

std::optional<uint64_t> adapter_base_fingerprint(const std::filesystem::path& path) {
    try {
        const GgufFile file = GgufFile::open(path);
        if (file.get_string_opt("general.type") != "adapter" || file.get_string_opt("adapter.type") != kAdapterType)
            return std::nullopt;
        return file.get("lookahead.base.fingerprint").as_uint();
    } catch (const Error&) {
        return std::nullopt;   // unreadable or not an adapter: not a candidate
    }
}

std::vector<std::filesystem::path> adapter_search_dirs(const std::filesystem::path& model_path,
                                                       const std::vector<std::filesystem::path>& dirs) {
    std::vector<std::filesystem::path> out{model_path.has_parent_path() ? model_path.parent_path() : "."};
    for (const auto& d : dirs)
        if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    return out;
}

std::optional<std::filesystem::path> find_adapter_for(const std::filesystem::path& model_path, uint64_t model_fingerprint,
                                                      const std::vector<std::filesystem::path>& dirs) {
    namespace fs = std::filesystem;
    auto made_for_model = [&](const fs::path& p) {
        std::error_code ec;
        return fs::is_regular_file(p, ec) && adapter_base_fingerprint(p) == model_fingerprint;
    };
    const auto search = adapter_search_dirs(model_path, dirs);
    const auto named = search.front() / adapter_file_name(model_path);
    if (made_for_model(named)) return named;

    constexpr std::string_view kSuffix = ".lookahead.gguf";
    for (const auto& dir : search) {
        std::error_code ec;
        std::vector<fs::path> candidates;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) candidates.push_back(it->path());
        }
        std::sort(candidates.begin(), candidates.end());
        for (const auto& p : candidates)
            if (made_for_model(p)) return p;
    }
    return std::nullopt;
}

}  // namespace engine
