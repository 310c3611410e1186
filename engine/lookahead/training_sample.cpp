#include "engine/lookahead/training_sample.h"

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace engine::lookahead {
namespace {

constexpr const char* kFileType = "lookahead-data";
constexpr uint32_t kFormatVersion = 1;
// A (layer, head) row of f16 weights sums to 1 up to rounding: each weight is off by at most
// 2^-11 relative, and weights below the f16 subnormal range (6e-8) are lost entirely.
constexpr double kRowSumTolerance = 1e-2;
// Far beyond any context window; guards against absurd counts in a damaged file.
constexpr int64_t kMaxCount = int64_t{1} << 24;

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Checks what both the writer and the reader rely on; `where` names the file.
void check_sample(const TrainingSample& s, const std::string& where) {
    auto bad = [&](const std::string& what) { throw Error(where + ": " + what); };
    if (s.n_layers <= 0 || s.n_layers > kMaxCount) bad("layer count " + std::to_string(s.n_layers) + " is out of range");
    if (s.n_kv_heads <= 0 || s.n_kv_heads > kMaxCount) bad("KV head count " + std::to_string(s.n_kv_heads) + " is out of range");
    if (s.prompt.empty()) bad("the prompt is empty");
    if (s.response.empty()) bad("the response is empty");
    for (int32_t t : s.prompt)
        if (t < 0) bad("prompt token id " + std::to_string(t) + " is negative");
    for (int32_t t : s.response)
        if (t < 0) bad("response token id " + std::to_string(t) + " is negative");
    for (int32_t t : s.question)
        if (t < 0) bad("question token id " + std::to_string(t) + " is negative");
    if (s.turns < 1 || s.turns > kMaxCount) bad("turn count " + std::to_string(s.turns) + " is out of range");
    if (s.turns > 1 && s.question.empty()) bad(std::to_string(s.turns) + " turns but no question tokens");
    if (s.windowed && s.question.empty()) bad("windowed, but no tokens after the prompt");
    const auto n_prompt = static_cast<int64_t>(s.prompt.size());
    const int64_t expected = s.n_layers * s.n_kv_heads * n_prompt;
    if (static_cast<int64_t>(s.target.size()) != expected)
        bad("target holds " + std::to_string(s.target.size()) + " weights, expected " + std::to_string(expected) +
            " (layers x KV heads x prompt tokens = " + std::to_string(s.n_layers) + " x " + std::to_string(s.n_kv_heads) +
            " x " + std::to_string(n_prompt) + ")");
    for (int64_t row = 0; row < s.n_layers * s.n_kv_heads; ++row) {
        double sum = 0.0;
        for (int64_t p = 0; p < n_prompt; ++p) {
            const float w = fp16_to_fp32(s.target[static_cast<size_t>(row * n_prompt + p)]);
            if (!std::isfinite(w) || w < 0.0f)
                bad("target weight at layer " + std::to_string(row / s.n_kv_heads) + ", KV head " +
                    std::to_string(row % s.n_kv_heads) + ", token " + std::to_string(p) + " is " + std::to_string(w) +
                    " (must be finite and non-negative)");
            sum += w;
        }
        if (std::abs(sum - 1.0) > kRowSumTolerance)
            bad("target of layer " + std::to_string(row / s.n_kv_heads) + ", KV head " + std::to_string(row % s.n_kv_heads) +
                " sums to " + std::to_string(sum) + ", not 1");
    }
}

int64_t read_count(const GgufFile& file, const std::string& key) {
    const int64_t v = file.get_int(key);
    if (v <= 0 || v > kMaxCount) throw Error(file.name() + ": " + key + " = " + std::to_string(v) + " is out of range");
    return v;
}

uint64_t read_u64(const GgufFile& file, const std::string& key) {
    try {
        return file.get(key).as_uint();
    } catch (const Error& e) {
        throw Error(file.name() + ": " + key + ": " + e.what());
    }
}

const GgufTensorInfo& tensor_of(const GgufFile& file, const std::string& name, GgmlType type, int64_t rank) {
    const GgufTensorInfo* t = file.find_tensor(name);
    if (!t) throw Error(file.name() + ": tensor " + name + " is missing");
    if (t->type != type)
        throw Error(file.name() + ": tensor " + name + " is " + std::string(ggml_type_name(t->type)) + ", expected " +
                    std::string(ggml_type_name(type)));
    if (static_cast<int64_t>(t->shape.size()) != rank)
        throw Error(file.name() + ": tensor " + name + " has shape " + shape_text(t->shape) + ", expected " +
                    std::to_string(rank) + " dimension(s)");
    return *t;
}

std::vector<int32_t> read_tokens(const GgufFile& file, const std::string& name) {
    const GgufTensorInfo& t = tensor_of(file, name, GgmlType::I32, 1);
    std::vector<int32_t> tokens(static_cast<size_t>(t.n_elements));
    if (t.size_bytes != tokens.size() * sizeof(int32_t))
        throw Error(file.name() + ": tensor " + name + " holds " + std::to_string(t.size_bytes) + " bytes for " +
                    std::to_string(t.n_elements) + " tokens");
    if (!tokens.empty()) std::memcpy(tokens.data(), t.data, t.size_bytes);
    return tokens;
}

}  // namespace

std::vector<double> TrainingSample::target_of_layer(int64_t layer) const {
    if (layer < 0 || layer >= n_layers)
        throw Error("training sample: layer " + std::to_string(layer) + " is out of range (the sample has " +
                    std::to_string(n_layers) + " layers)");
    const auto n_prompt = static_cast<int64_t>(prompt.size());
    if (static_cast<int64_t>(target.size()) != n_layers * n_kv_heads * n_prompt)
        throw Error("training sample: target holds " + std::to_string(target.size()) + " weights, expected " +
                    std::to_string(n_layers * n_kv_heads * n_prompt));
    std::vector<double> out(static_cast<size_t>(n_kv_heads * n_prompt));
    for (int64_t h = 0; h < n_kv_heads; ++h) {
        const size_t from = static_cast<size_t>((layer * n_kv_heads + h) * n_prompt);
        double* row = out.data() + h * n_prompt;
        double sum = 0.0;
        for (int64_t p = 0; p < n_prompt; ++p) sum += row[p] = fp16_to_fp32(target[from + static_cast<size_t>(p)]);
        if (sum > 0.0)
            for (int64_t p = 0; p < n_prompt; ++p) row[p] /= sum;
    }
    return out;
}

void write_training_sample(const TrainingSample& sample, const std::filesystem::path& path) {
    check_sample(sample, path.string());
    GgufWriter w;
    w.set_string("general.type", kFileType);
    w.set_u32("lookahead_data.version", kFormatVersion);
    w.set_string("lookahead_data.source", sample.source);
    w.set_string("lookahead_data.instruction", sample.instruction);
    w.set("lookahead_data.seed", GgufValue::from_uint(GgufValueType::UInt64, sample.seed));
    w.set("lookahead_data.model_fingerprint", GgufValue::from_uint(GgufValueType::UInt64, sample.model_fingerprint));
    w.set_u32("lookahead_data.block_count", static_cast<uint32_t>(sample.n_layers));
    w.set_u32("lookahead_data.head_count_kv", static_cast<uint32_t>(sample.n_kv_heads));
    w.set_u32("lookahead_data.prompt_length", static_cast<uint32_t>(sample.prompt.size()));
    w.set_u32("lookahead_data.response_length", static_cast<uint32_t>(sample.response.size()));
    if (sample.turns > 1) w.set_u32("lookahead_data.turns", static_cast<uint32_t>(sample.turns));
    if (sample.windowed) w.set_bool("lookahead_data.windowed", true);
    const auto n_prompt = static_cast<int64_t>(sample.prompt.size());
    w.add_tensor("prompt.tokens", GgmlType::I32, {n_prompt}, as_bytes(sample.prompt));
    if (sample.context_only())
        w.add_tensor("question.tokens", GgmlType::I32, {static_cast<int64_t>(sample.question.size())}, as_bytes(sample.question));
    w.add_tensor("response.tokens", GgmlType::I32, {static_cast<int64_t>(sample.response.size())}, as_bytes(sample.response));
    w.add_tensor("target.attention", GgmlType::F16, {n_prompt, sample.n_kv_heads, sample.n_layers}, as_bytes(sample.target));
    w.write(path);
}

TrainingSample read_training_sample(const std::filesystem::path& path) {
    const GgufFile file = GgufFile::open(path);
    const std::string& name = file.name();
    const auto type = file.get_string_opt("general.type");
    if (type != kFileType)
        throw Error(name + " is not a LookaheadKV training sample (general.type is " + (type ? "'" + *type + "'" : "missing") +
                    ", expected '" + kFileType + "')");
    const int64_t version = file.get_int("lookahead_data.version");
    if (version != kFormatVersion)
        throw Error(name + ": training sample format version " + std::to_string(version) + " is not supported (expected " +
                    std::to_string(kFormatVersion) + ")");

    TrainingSample s;
    s.source = file.get_string("lookahead_data.source");
    s.instruction = file.get_string("lookahead_data.instruction");
    s.seed = read_u64(file, "lookahead_data.seed");
    s.model_fingerprint = read_u64(file, "lookahead_data.model_fingerprint");
    s.n_layers = read_count(file, "lookahead_data.block_count");
    s.n_kv_heads = read_count(file, "lookahead_data.head_count_kv");
    const int64_t n_prompt = read_count(file, "lookahead_data.prompt_length");
    const int64_t n_response = read_count(file, "lookahead_data.response_length");
    if (file.has("lookahead_data.turns")) s.turns = read_count(file, "lookahead_data.turns");
    s.windowed = file.get_bool_opt("lookahead_data.windowed").value_or(false);

    s.prompt = read_tokens(file, "prompt.tokens");
    if (static_cast<int64_t>(s.prompt.size()) != n_prompt)
        throw Error(name + ": prompt.tokens holds " + std::to_string(s.prompt.size()) +
                    " tokens but lookahead_data.prompt_length is " + std::to_string(n_prompt));
    if (file.find_tensor("question.tokens")) {
        s.question = read_tokens(file, "question.tokens");
        if (s.question.empty()) throw Error(name + ": tensor question.tokens is empty");
    }
    s.response = read_tokens(file, "response.tokens");
    if (static_cast<int64_t>(s.response.size()) != n_response)
        throw Error(name + ": response.tokens holds " + std::to_string(s.response.size()) +
                    " tokens but lookahead_data.response_length is " + std::to_string(n_response));

    const GgufTensorInfo& t = tensor_of(file, "target.attention", GgmlType::F16, 3);
    const std::vector<int64_t> expected{n_prompt, s.n_kv_heads, s.n_layers};
    if (t.shape != expected)
        throw Error(name + ": tensor target.attention has shape " + shape_text(t.shape) + ", expected " +
                    shape_text(expected) + " (prompt tokens, KV heads, layers)");
    s.target.resize(static_cast<size_t>(t.n_elements));
    if (t.size_bytes != s.target.size() * sizeof(uint16_t))
        throw Error(name + ": tensor target.attention holds " + std::to_string(t.size_bytes) + " bytes for " +
                    std::to_string(t.n_elements) + " f16 weights");
    std::memcpy(s.target.data(), t.data, t.size_bytes);
    check_sample(s, name);
    return s;
}

std::vector<std::filesystem::path> list_training_samples(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw Error(dir.string() + ": the training data directory does not exist");
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string file_name = entry.path().filename().string();
        if (entry.is_regular_file() && file_name.starts_with("sample-") && file_name.ends_with(".gguf"))
            files.push_back(entry.path());
    }
    if (ec) throw Error(dir.string() + ": cannot list the directory: " + ec.message());
    if (files.empty()) throw Error(dir.string() + ": holds no training samples (sample-*.gguf); run glimpse-cli make-data first");
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace engine::lookahead
