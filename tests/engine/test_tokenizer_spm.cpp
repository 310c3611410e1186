// SentencePiece-style ("llama") vocabularies: parity with the sentencepiece library on a
// tiny trained vocabulary, and score-ordered merging, byte fallback, the dummy-prefix
// space and special tokens on a hand-made one with hand-computed results.

#include "engine/tokenizer/tokenizer.h"
#include "test_tokenizer_support.h"

#include <QtTest/QtTest>

#include <cstdio>
#include <random>

using namespace engine;

namespace {

// <unk>, <s>, </s>, the 256 byte tokens, then `pieces` with their scores.
nlohmann::json spm_vocab(const std::vector<std::pair<std::string, float>>& pieces, bool byte_tokens = true) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    std::vector<float> scores = {0, 0, 0};
    if (byte_tokens) {
        for (int b = 0; b < 256; ++b) {
            char name[8];
            std::snprintf(name, sizeof name, "<0x%02X>", b);
            tokens.push_back(name);
            types.push_back(6);
            scores.push_back(0);
        }
    }
    for (const auto& [piece, score] : pieces) {
        tokens.push_back(piece);
        types.push_back(1);
        scores.push_back(score);
    }
    nlohmann::json v;
    v["model"] = "llama";
    v["tokens"] = tokens;
    v["token_type"] = types;
    v["scores"] = scores;
    v["bos_token_id"] = 1;
    v["eos_token_id"] = 2;
    v["unknown_token_id"] = 0;
    return v;
}

const std::string kSpace = "\xE2\x96\x81";  // ▁

}  // namespace

class TestTokenizerSpm : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void matches_sentencepiece_vectors();
    void random_bytes_round_trip();
    void merges_highest_score_first();
    void equal_scores_merge_leftmost_first();
    void unknown_characters_fall_back_to_bytes();
    void without_byte_tokens_unknown_characters_are_unk();
    void special_tokens_get_a_space_prefix_after_them();
    void decoding_removes_the_dummy_prefix();
    void defaults_add_bos_and_space_prefix();

private:
    std::optional<Tokenizer> hand_;
    int32_t id(const std::string& piece) const { return *hand_->find_token(piece); }
};

void TestTokenizerSpm::initTestCase() {
    hand_.emplace(tokenizer_test::tokenizer_from_json(
        spm_vocab({{kSpace, -1}, {"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2}, {"bc", -1.5f},
                   {kSpace + "a", -3}, {"abc", -4}, {"aa", -1}}),
        "hand-spm.gguf"));
}

void TestTokenizerSpm::matches_sentencepiece_vectors() {
    const auto v = tokenizer_test::load_json("tokenizer_spm_vocab.json");
    const Tokenizer tok = tokenizer_test::tokenizer_from_json(v, "tiny-spm.gguf");
    QCOMPARE(std::string(tok.model()), std::string("llama"));
    tokenizer_test::check_cases(tok, v.at("cases"), 200);
}

void TestTokenizerSpm::random_bytes_round_trip() {
    // With byte fallback every byte has a token, so any text decodes back, invalid UTF-8
    // and leading spaces included; only a literal "▁" comes back as the space it stands for.
    const Tokenizer tok = tokenizer_test::tokenizer_from_json(tokenizer_test::load_json("tokenizer_spm_vocab.json"),
                                                              "tiny-spm.gguf");
    const uint32_t seed = std::random_device{}();
    qInfo("seed %u", seed);
    std::mt19937 rng(seed);
    const std::string alphabet = "the  quick\t\n<s></s>\xC3\xA9\xE2\x96";
    for (int trial = 0; trial < 500; ++trial) {
        std::string text(rng() % 40, ' ');
        for (char& c : text) c = rng() % 3 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256);
        if (text.find(kSpace) != std::string::npos) continue;
        QCOMPARE(tok.decode(tok.encode(text, false, rng() % 2 == 0)), text);
    }
}

void TestTokenizerSpm::merges_highest_score_first() {
    // ▁ a b c: "bc" (-1.5) beats "ab" (-2) and "▁a" (-3); then "▁a" (-3) beats "abc" (-4).
    QCOMPARE(hand_->encode("abc", false, false), (std::vector<int32_t>{id(kSpace + "a"), id("bc")}));
}

void TestTokenizerSpm::equal_scores_merge_leftmost_first() {
    QCOMPARE(hand_->encode("aaa", false, false), (std::vector<int32_t>{id(kSpace), id("aa"), id("a")}));
    QCOMPARE(hand_->encode("a b", false, false), (std::vector<int32_t>{id(kSpace + "a"), id(kSpace), id("b")}));
}

void TestTokenizerSpm::unknown_characters_fall_back_to_bytes() {
    const auto ids = hand_->encode("ab\xC3\xA9", false, false);  // "abé"
    QCOMPARE(ids, (std::vector<int32_t>{id(kSpace), id("ab"), id("<0xC3>"), id("<0xA9>")}));
    QCOMPARE(hand_->token_to_piece(id("<0xC3>")), std::string("\xC3"));
    QCOMPARE(hand_->decode(ids), std::string("ab\xC3\xA9"));
}

void TestTokenizerSpm::without_byte_tokens_unknown_characters_are_unk() {
    const Tokenizer tok = tokenizer_test::tokenizer_from_json(spm_vocab({{kSpace, -1}, {"a", -1}}, false),
                                                              "no-bytes.gguf");
    QCOMPARE(tok.encode("a\xC3\xA9", false, false), (std::vector<int32_t>{3, 4, 0}));  // ▁ a <unk>
}

void TestTokenizerSpm::special_tokens_get_a_space_prefix_after_them() {
    QCOMPARE(hand_->encode("<s>ab</s>", false, true),
             (std::vector<int32_t>{1, id(kSpace), id("ab"), 2}));
    // Not parsed: the text is spelled out, here byte by byte for "<", "s", ">".
    const auto plain = hand_->encode("<s>", false, false);
    QCOMPARE(plain, (std::vector<int32_t>{id(kSpace), id("<0x3C>"), id("<0x73>"), id("<0x3E>")}));
    QCOMPARE(hand_->decode(plain), std::string("<s>"));
    QCOMPARE(hand_->encode("", true, true), (std::vector<int32_t>{1}));
    QCOMPARE(hand_->encode("", false, true), (std::vector<int32_t>{}));
}

void TestTokenizerSpm::decoding_removes_the_dummy_prefix() {
    QCOMPARE(hand_->token_to_piece(id(kSpace + "a")), std::string(" a"));
    QCOMPARE(hand_->decode(std::vector<int32_t>{id(kSpace + "a"), id("bc")}), std::string("abc"));
    for (const std::string text : {"abc", " abc", "a  b", "<s>a</s> b", "ab\xC3\xA9 c "}) {
        const auto ids = hand_->encode(text, false, true);
        QCOMPARE(hand_->decode(ids), text);
        TokenStreamDecoder stream(*hand_);
        std::string joined;
        for (int32_t i : ids) joined += stream.push(i);
        QCOMPARE(joined + stream.flush(), text);
    }
}

void TestTokenizerSpm::defaults_add_bos_and_space_prefix() {
    QVERIFY(hand_->adds_bos());  // no tokenizer.ggml.add_bos_token: SentencePiece's default
    QCOMPARE(hand_->encode("a", hand_->adds_bos(), true), (std::vector<int32_t>{1, id(kSpace + "a")}));
    auto v = spm_vocab({{kSpace, -1}, {"a", -1}});
    auto w = tokenizer_test::vocab_writer(v);
    w.set_bool("tokenizer.ggml.add_space_prefix", false);
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    const Tokenizer tok = Tokenizer::from_gguf(tokenizer_test::to_file(w, "no-prefix.gguf"));
    QVERIFY(!tok.adds_bos());
    QCOMPARE(tok.encode("a a", false, false), (std::vector<int32_t>{260, 259, 260}));
    QCOMPARE(tok.decode(std::vector<int32_t>{259, 260}), std::string(" a"));
}

QTEST_GUILESS_MAIN(TestTokenizerSpm)
#include "test_tokenizer_spm.moc"
