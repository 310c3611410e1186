// The Llama 3 and Qwen2 split patterns, checked with tiny byte-level vocabularies trained
// by Hugging Face tokenizers (scripts/make_tokenizer_vectors.py) against that library's
// own encodings; and the word boundaries of every known pattern on small examples.

#include "engine/error.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "test_tokenizer_support.h"

#include <QtTest/QtTest>

using namespace engine;

namespace {

std::vector<std::string> words(std::string_view pre, std::string_view text) {
    std::vector<std::string> out;
    for (auto w : PreTokenizer::for_name(pre).split(text)) out.emplace_back(w);
    return out;
}

using Words = std::vector<std::string>;

}  // namespace

class TestTokenizerPreTokenizers : public QObject {
    Q_OBJECT

private slots:
    void llama3_vocabulary_matches_reference();
    void qwen2_vocabulary_matches_reference();
    void llama3_takes_whole_word_tokens_before_merging();
    void gpt2_pattern_splits_words_spaces_and_contractions();
    void llama3_pattern_groups_digits_in_threes_and_ignores_case_of_contractions();
    void qwen2_pattern_splits_single_digits();
    void smollm_splits_digits_before_the_pattern();
    void words_cover_invalid_utf8_bytes();
    void unknown_pre_tokenizer_is_an_error();
};

void TestTokenizerPreTokenizers::llama3_vocabulary_matches_reference() {
    const auto v = tokenizer_test::load_json("tokenizer_llama3_vocab.json");
    const Tokenizer tok = tokenizer_test::tokenizer_from_json(v, "tiny-llama3.gguf");
    QCOMPARE(std::string(tok.pre()), std::string("llama-bpe"));
    QVERIFY(tok.adds_bos());
    QCOMPARE(tok.bos(), tok.find_token("<|begin_of_text|>"));
    QCOMPARE(tok.eot(), tok.find_token("<|eot_id|>"));  // found by name
    QVERIFY(tok.is_end_of_generation(*tok.find_token("<|eot_id|>")));
    QVERIFY(tok.is_end_of_generation(*tok.find_token("<|end_of_text|>")));
    tokenizer_test::check_cases(tok, v.at("cases"), 200);
}

void TestTokenizerPreTokenizers::qwen2_vocabulary_matches_reference() {
    const auto v = tokenizer_test::load_json("tokenizer_qwen2_vocab.json");
    const Tokenizer tok = tokenizer_test::tokenizer_from_json(v, "tiny-qwen2.gguf");
    QCOMPARE(std::string(tok.pre()), std::string("qwen2"));
    QVERIFY(!tok.adds_bos());
    QCOMPARE(tok.eos(), tok.find_token("<|im_end|>"));
    tokenizer_test::check_cases(tok, v.at("cases"), 200);
}

void TestTokenizerPreTokenizers::llama3_takes_whole_word_tokens_before_merging() {
    // A vocabulary whose merges alone would spell "abc" as "a" + "bc", but which also
    // has the token "abc": Llama 3's tokenizer takes the word whole.
    nlohmann::json v;
    v["model"] = "gpt2";
    std::vector<std::string> tokens = {"a", "b", "c", "bc", "abc"};
    v["tokens"] = tokens;
    v["token_type"] = std::vector<int32_t>(tokens.size(), 1);
    v["merges"] = std::vector<std::string>{"b c"};
    v["pre"] = "llama-bpe";
    QCOMPARE(tokenizer_test::tokenizer_from_json(v, "whole.gguf").encode("abc", false, false),
             (std::vector<int32_t>{4}));
    v["pre"] = "qwen2";
    QCOMPARE(tokenizer_test::tokenizer_from_json(v, "merged.gguf").encode("abc", false, false),
             (std::vector<int32_t>{0, 3}));
}

void TestTokenizerPreTokenizers::gpt2_pattern_splits_words_spaces_and_contractions() {
    QCOMPARE(words("gpt2", "Hello world"), (Words{"Hello", " world"}));
    QCOMPARE(words("gpt2", "a   b"), (Words{"a", "  ", " b"}));
    QCOMPARE(words("gpt2", "end   "), (Words{"end", "   "}));
    QCOMPARE(words("gpt2", "I'm OK'S"), (Words{"I", "'m", " OK", "'", "S"}));
    QCOMPARE(words("gpt2", " 123 !!?"), (Words{" 123", " !!?"}));
    QCOMPARE(words("gpt2", "x\t\ny"), (Words{"x", "\t", "\n", "y"}));
    QCOMPARE(words("default", "x\t\ny"), words("gpt2", "x\t\ny"));
    QCOMPARE(words("gpt2", "caf\u00e9 na\u0131ve"), (Words{"caf\u00e9", " na\u0131ve"}));
}

void TestTokenizerPreTokenizers::llama3_pattern_groups_digits_in_threes_and_ignores_case_of_contractions() {
    QCOMPARE(words("llama-bpe", "1234567"), (Words{"123", "456", "7"}));
    QCOMPARE(words("llama3", "IT'S"), (Words{"IT", "'S"}));
    QCOMPARE(words("llama-bpe", "a, b"), (Words{"a", ",", " b"}));
    QCOMPARE(words("llama-bpe", "(x)"), (Words{"(x", ")"}));
    QCOMPARE(words("llama-bpe", "a \n\n b"), (Words{"a", " \n\n", " b"}));
    QCOMPARE(words("llama-bpe", "x;\n\ny"), (Words{"x", ";\n\n", "y"}));
}

void TestTokenizerPreTokenizers::qwen2_pattern_splits_single_digits() {
    QCOMPARE(words("qwen2", "x 2024"), (Words{"x", " ", "2", "0", "2", "4"}));
}

void TestTokenizerPreTokenizers::smollm_splits_digits_before_the_pattern() {
    // The space before a digit stays on its own: the pattern never sees the digit.
    QCOMPARE(words("smollm", "a 12b"), (Words{"a", " ", "1", "2", "b"}));
    QCOMPARE(words("gpt2", "a 12b"), (Words{"a", " 12", "b"}));
    // A run of spaces before a digit keeps all its spaces: (?!\S) sees the end of the piece.
    QCOMPARE(words("smollm", "a   1"), (Words{"a", "   ", "1"}));
}

void TestTokenizerPreTokenizers::words_cover_invalid_utf8_bytes() {
    const std::string text = "ab\xFF\xC3 cd\xE2\x82";
    for (const auto& pre : PreTokenizer::known_names()) {
        std::string joined;
        for (const auto& w : words(pre, text)) joined += w;
        QCOMPARE(joined, text);
    }
}

void TestTokenizerPreTokenizers::unknown_pre_tokenizer_is_an_error() {
    try {
        PreTokenizer::for_name("falcon");
        QFAIL("no error for an unknown pre-tokenizer");
    } catch (const Error& e) {
        const std::string message = e.what();
        QVERIFY2(message.find("tokenizer.ggml.pre") != std::string::npos, e.what());
        QVERIFY2(message.find("falcon") != std::string::npos, e.what());
    }
}

QTEST_GUILESS_MAIN(TestTokenizerPreTokenizers)
#include "test_tokenizer_pre_tokenizers.moc"
