// A damaged or inconsistent vocabulary gives an engine::Error that names the file and the
// metadata key at fault, never a crash or a silently wrong tokenizer.

#include "engine/error.h"
#include "engine/tokenizer/tokenizer.h"
#include "test_tokenizer_support.h"

#include <QtTest/QtTest>

#include <functional>

using namespace engine;

namespace {

constexpr const char* kFile = "broken.gguf";

nlohmann::json good_vocab() {
    nlohmann::json v;
    v["model"] = "gpt2";
    v["pre"] = "gpt2";
    v["tokens"] = std::vector<std::string>{"a", "b", "ab", "<|end|>"};
    v["token_type"] = std::vector<int32_t>{1, 1, 1, 3};
    v["merges"] = std::vector<std::string>{"a b"};
    v["eos_token_id"] = 3;
    return v;
}

// Loading must fail with a message naming the file and `key`.
void expect_error(const std::function<void(GgufWriter&)>& damage, const std::string& key,
                  nlohmann::json vocab = good_vocab()) {
    GgufWriter w = tokenizer_test::vocab_writer(vocab);
    damage(w);
    try {
        Tokenizer::from_gguf(tokenizer_test::to_file(w, kFile));
        QFAIL(("no error; expected one naming " + key).c_str());
    } catch (const Error& e) {
        const std::string message = e.what();
        QVERIFY2(message.find(key) != std::string::npos, e.what());
        QVERIFY2(message.find(kFile) != std::string::npos, e.what());
    }
}

nlohmann::json without(nlohmann::json v, const char* key) {
    v.erase(key);
    return v;
}

void no_change(GgufWriter&) {}

}  // namespace

class TestTokenizerBadVocabulary : public QObject {
    Q_OBJECT

private slots:
    void good_vocabulary_loads();
    void missing_merges_are_an_error();
    void malformed_merges_are_an_error();
    void token_arrays_of_the_wrong_type_are_an_error();
    void token_arrays_of_different_lengths_are_an_error();
    void bad_token_types_are_an_error();
    void special_token_ids_out_of_range_are_an_error();
    void unknown_model_or_pre_tokenizer_is_an_error();
    void spm_vocabulary_without_scores_is_an_error();
    void file_without_tokenizer_is_an_error();
    void ids_out_of_range_are_an_error_when_decoding();
};

void TestTokenizerBadVocabulary::good_vocabulary_loads() {
    const Tokenizer tok = Tokenizer::from_gguf(tokenizer_test::to_file(tokenizer_test::vocab_writer(good_vocab()), kFile));
    QCOMPARE(tok.encode("ab<|end|>", false, true), (std::vector<int32_t>{2, 3}));
    QCOMPARE(tok.eos(), std::optional<int32_t>(3));
    QVERIFY(!tok.bos());
}

void TestTokenizerBadVocabulary::missing_merges_are_an_error() {
    expect_error(no_change, "tokenizer.ggml.merges", without(good_vocab(), "merges"));
}

void TestTokenizerBadVocabulary::malformed_merges_are_an_error() {
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.merges", GgufValue::string_array({"ab"})); },
                 "tokenizer.ggml.merges");
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.merges", GgufValue::string_array({"a z"})); },
                 "tokenizer.ggml.merges");
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.merges", GgufValue::string_array({"b a"})); },
                 "tokenizer.ggml.merges");  // "ba" is not a token
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.merges", GgufValue::int32_array({1})); },
                 "tokenizer.ggml.merges");
}

void TestTokenizerBadVocabulary::token_arrays_of_the_wrong_type_are_an_error() {
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.tokens", GgufValue::int32_array({1, 2, 3, 4})); },
                 "tokenizer.ggml.tokens");
    expect_error([](GgufWriter& w) { w.set_string("tokenizer.ggml.tokens", "a b ab"); }, "tokenizer.ggml.tokens");
    expect_error([](GgufWriter& w) {
        w.set("tokenizer.ggml.token_type", GgufValue::float32_array({1, 1, 1, 3}));
    }, "tokenizer.ggml.token_type");
    expect_error([](GgufWriter& w) {
        w.set("tokenizer.ggml.scores", GgufValue::int32_array({0, 0, 0, 0}));
    }, "tokenizer.ggml.scores");
    expect_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.model", 2); }, "tokenizer.ggml.model");
    expect_error([](GgufWriter& w) { w.set_string("tokenizer.ggml.eos_token_id", "3"); },
                 "tokenizer.ggml.eos_token_id");
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.tokens", GgufValue::string_array({})); },
                 "tokenizer.ggml.tokens");
}

void TestTokenizerBadVocabulary::token_arrays_of_different_lengths_are_an_error() {
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.token_type", GgufValue::int32_array({1, 1, 1})); },
                 "tokenizer.ggml.token_type");
    expect_error([](GgufWriter& w) {
        w.set("tokenizer.ggml.scores", GgufValue::float32_array({0, 0, 0, 0, 0}));
    }, "tokenizer.ggml.scores");
}

void TestTokenizerBadVocabulary::bad_token_types_are_an_error() {
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.token_type", GgufValue::int32_array({1, 1, 9, 3})); },
                 "tokenizer.ggml.token_type");
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.token_type", GgufValue::int32_array({1, -1, 1, 3})); },
                 "tokenizer.ggml.token_type");
}

void TestTokenizerBadVocabulary::special_token_ids_out_of_range_are_an_error() {
    expect_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.bos_token_id", 4); }, "tokenizer.ggml.bos_token_id");
    expect_error([](GgufWriter& w) { w.set("tokenizer.ggml.eos_token_id", GgufValue::i32(-1)); },
                 "tokenizer.ggml.eos_token_id");
    expect_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.eot_token_id", 1000000); },
                 "tokenizer.ggml.eot_token_id");
    expect_error([](GgufWriter& w) { w.set_u32("tokenizer.ggml.unknown_token_id", 4); },
                 "tokenizer.ggml.unknown_token_id");
    expect_error([](GgufWriter& w) { w.set_bool("tokenizer.ggml.add_bos_token", true); },
                 "tokenizer.ggml.add_bos_token");  // asks for a BOS token there is none of
}

void TestTokenizerBadVocabulary::unknown_model_or_pre_tokenizer_is_an_error() {
    expect_error([](GgufWriter& w) { w.set_string("tokenizer.ggml.model", "bert"); }, "tokenizer.ggml.model");
    expect_error([](GgufWriter& w) { w.set_string("tokenizer.ggml.pre", "deepseek-coder"); }, "tokenizer.ggml.pre");
}

void TestTokenizerBadVocabulary::spm_vocabulary_without_scores_is_an_error() {
    auto v = good_vocab();
    v["model"] = "llama";
    expect_error(no_change, "tokenizer.ggml.scores", v);
}

void TestTokenizerBadVocabulary::file_without_tokenizer_is_an_error() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    try {
        Tokenizer::from_gguf(tokenizer_test::to_file(w, kFile));
        QFAIL("no error for a file without a tokenizer");
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find("tokenizer.ggml.model") != std::string::npos, e.what());
    }
}

void TestTokenizerBadVocabulary::ids_out_of_range_are_an_error_when_decoding() {
    const Tokenizer tok = Tokenizer::from_gguf(tokenizer_test::to_file(tokenizer_test::vocab_writer(good_vocab()), kFile));
    QVERIFY_THROWS_EXCEPTION(Error, tok.decode(std::vector<int32_t>{0, 4}));
    QVERIFY_THROWS_EXCEPTION(Error, tok.is_special(-3));
    TokenStreamDecoder stream(tok);
    QVERIFY_THROWS_EXCEPTION(Error, stream.push(99));
    QVERIFY(!tok.is_end_of_generation(99));  // a question, not a lookup: no error
}

QTEST_GUILESS_MAIN(TestTokenizerBadVocabulary)
#include "test_tokenizer_bad_vocabulary.moc"
