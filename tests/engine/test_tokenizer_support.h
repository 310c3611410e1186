#pragma once
// Fixtures for the tokenizer tests: the parity vectors written by
// scripts/make_tokenizer_vectors.py, and tiny vocabularies written into GGUF images with
// the engine's own writer, so loading goes through the real GGUF reader.

#include "engine/gguf/gguf_file.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>
#include <QtTest/QtTest>

#include <fstream>
#include <string>
#include <vector>

namespace tokenizer_test {

inline nlohmann::json load_json(const std::string& name) {
    const std::string path = std::string(GLIMPSE_TEST_DATA_DIR) + "/engine/data/" + name;
    std::ifstream in(path);
    if (!in) qFatal("missing test data %s: run scripts/make_tokenizer_vectors.py", path.c_str());
    return nlohmann::json::parse(in);
}

// The metadata of a vocabulary file written by the vector script (without the cases).
inline engine::GgufWriter vocab_writer(const nlohmann::json& v) {
    engine::GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_string("tokenizer.ggml.model", v.at("model").get<std::string>());
    if (v.contains("pre")) w.set_string("tokenizer.ggml.pre", v["pre"].get<std::string>());
    w.set("tokenizer.ggml.tokens", engine::GgufValue::string_array(v.at("tokens").get<std::vector<std::string>>()));
    w.set("tokenizer.ggml.token_type", engine::GgufValue::int32_array(v.at("token_type").get<std::vector<int32_t>>()));
    if (v.contains("scores"))
        w.set("tokenizer.ggml.scores", engine::GgufValue::float32_array(v["scores"].get<std::vector<float>>()));
    if (v.contains("merges"))
        w.set("tokenizer.ggml.merges", engine::GgufValue::string_array(v["merges"].get<std::vector<std::string>>()));
    for (const char* key : {"bos_token_id", "eos_token_id", "eot_token_id", "unknown_token_id"})
        if (v.contains(key)) w.set_u32(std::string("tokenizer.ggml.") + key, v[key].get<uint32_t>());
    if (v.contains("add_bos_token")) w.set_bool("tokenizer.ggml.add_bos_token", v["add_bos_token"].get<bool>());
    return w;
}

inline engine::GgufFile to_file(const engine::GgufWriter& w, const std::string& name) {
    return engine::GgufFile::parse(w.to_bytes(), name);
}

inline engine::Tokenizer tokenizer_from_json(const nlohmann::json& v, const std::string& name) {
    return engine::Tokenizer::from_gguf(to_file(vocab_writer(v), name));
}

inline QString show_ids(const std::vector<int32_t>& ids) {
    QStringList parts;
    for (int32_t id : ids) parts << QString::number(id);
    return "[" + parts.join(", ") + "]";
}

// Checks every case of a vector file: exact ids, and decode(encode(s)) == s when no BOS
// was added. Reports each mismatch with its text before failing.
inline void check_cases(const engine::Tokenizer& tok, const nlohmann::json& cases, int minimum_cases) {
    QVERIFY2(static_cast<int>(cases.size()) >= minimum_cases, "too few parity cases");
    int failures = 0;
    for (const auto& c : cases) {
        const std::string text = c.at("text").get<std::string>();
        const bool parse_special = c.at("parse_special").get<bool>();
        const bool add_bos = c.value("add_bos", false);
        const auto expected = c.at("ids").get<std::vector<int32_t>>();
        const auto ids = tok.encode(text, add_bos, parse_special);
        if (ids != expected) {
            if (++failures <= 10)
                qWarning("ids differ for %s (parse_special=%d):\n  got      %s\n  expected %s",
                         nlohmann::json(text).dump().c_str(), parse_special, qPrintable(show_ids(ids)),
                         qPrintable(show_ids(expected)));
            continue;
        }
        if (!add_bos && tok.decode(ids) != text) {
            if (++failures <= 10)
                qWarning("decode(encode(s)) != s for %s", nlohmann::json(text).dump().c_str());
        }
    }
    QCOMPARE(failures, 0);
}

}  // namespace tokenizer_test
