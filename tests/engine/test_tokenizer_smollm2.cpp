// The default model's tokenizer (SmolLM2, byte-level BPE with the "smollm" pre-tokenizer)
// against vectors from an independent reference (Hugging Face tokenizers), plus its
// special tokens, streaming decode and speed on a large text.

#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "test_support.h"
#include "test_tokenizer_support.h"

#include <QStringDecoder>
#include <QtTest/QtTest>

#include <algorithm>
#include <random>

using namespace engine;

namespace {

bool valid_utf8(const std::string& s) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(QByteArrayView(s.data(), static_cast<qsizetype>(s.size())));
    return !decoder.hasError();
}

}  // namespace

class TestTokenizerSmolLm2 : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void matches_reference_vectors();
    void hello_world_is_two_whole_word_tokens();
    void reads_special_token_metadata();
    void special_tokens_are_parsed_only_when_asked();
    void digits_are_split_one_by_one();
    void random_bytes_round_trip();
    void streaming_random_tokens_emits_only_valid_utf8();
    void streaming_encoded_text_gives_the_text_back();
    void encodes_100_kb_of_text();

private:
    std::optional<GgufFile> file_;
    std::optional<Tokenizer> tok_;
};

void TestTokenizerSmolLm2::initTestCase() {
    file_.emplace(GgufFile::open(test_support::default_model()));
    tok_.emplace(Tokenizer::from_gguf(*file_));
}

void TestTokenizerSmolLm2::matches_reference_vectors() {
    const auto vectors = tokenizer_test::load_json("tokenizer_smollm2_vectors.json");
    QCOMPARE(tok_->vocab_size(), vectors.at("vocab_size").get<int32_t>());
    QCOMPARE(std::string(tok_->pre()), vectors.at("pre").get<std::string>());
    tokenizer_test::check_cases(*tok_, vectors.at("cases"), 200);
}

void TestTokenizerSmolLm2::hello_world_is_two_whole_word_tokens() {
    const auto hello = tok_->find_token("Hello");
    const auto world = tok_->find_token("\xC4\xA0world");  // "Ġworld": the byte-level space
    QVERIFY(hello && world);
    QCOMPARE(tok_->encode("Hello world", false, true), (std::vector<int32_t>{*hello, *world}));
    QCOMPARE(tok_->token_to_piece(*world), std::string(" world"));
    QCOMPARE(tok_->decode(std::vector<int32_t>{*hello, *world}), std::string("Hello world"));
}

void TestTokenizerSmolLm2::reads_special_token_metadata() {
    QCOMPARE(std::string(tok_->model()), std::string("gpt2"));
    QCOMPARE(std::string(tok_->pre()), std::string("smollm"));
    QVERIFY(!tok_->adds_bos());
    const auto im_start = tok_->find_token("<|im_start|>");
    const auto im_end = tok_->find_token("<|im_end|>");
    const auto end_of_text = tok_->find_token("<|endoftext|>");
    QVERIFY(im_start && im_end && end_of_text);
    QCOMPARE(tok_->bos(), im_start);  // tokenizer.ggml.bos_token_id = 1
    QCOMPARE(tok_->eos(), im_end);
    QCOMPARE(tok_->eot(), im_end);    // no eot key: found by name
    QVERIFY(tok_->is_end_of_generation(*im_end));
    QVERIFY(tok_->is_end_of_generation(*end_of_text));
    QVERIFY(!tok_->is_end_of_generation(*im_start));
    QVERIFY(!tok_->is_end_of_generation(*tok_->find_token("Hello")));
    QVERIFY(tok_->is_special(*im_start));
    QVERIFY(!tok_->is_special(*tok_->find_token("Hello")));
    QCOMPARE(tok_->token_to_piece(*im_start), std::string("<|im_start|>"));
    QVERIFY_THROWS_EXCEPTION(Error, tok_->token_to_piece(tok_->vocab_size()));
    QVERIFY_THROWS_EXCEPTION(Error, tok_->token_to_piece(-1));
}

void TestTokenizerSmolLm2::special_tokens_are_parsed_only_when_asked() {
    const int32_t im_start = *tok_->find_token("<|im_start|>");
    const std::string text = "<|im_start|>user\nHi";
    const auto parsed = tok_->encode(text, false, true);
    QCOMPARE(parsed.front(), im_start);
    const auto plain = tok_->encode(text, false, false);
    QVERIFY(std::find(plain.begin(), plain.end(), im_start) == plain.end());
    QCOMPARE(tok_->decode(plain), text);
    const auto with_bos = tok_->encode("Hi", true, true);
    QCOMPARE(with_bos.front(), *tok_->bos());
    QCOMPARE(with_bos.size(), tok_->encode("Hi", false, true).size() + 1);
}

void TestTokenizerSmolLm2::digits_are_split_one_by_one() {
    const auto ids = tok_->encode("12345", false, true);
    QCOMPARE(ids.size(), size_t(5));
    for (size_t i = 0; i < ids.size(); ++i)
        QCOMPARE(tok_->token_to_piece(ids[i]), std::string(1, static_cast<char>('1' + i)));
}

void TestTokenizerSmolLm2::random_bytes_round_trip() {
    // Byte-level BPE spells any bytes the vocabulary has a token for, invalid UTF-8
    // included, so decoding gives them back.
    std::string present, missing;
    for (int b = 0; b < 256; ++b)
        (tok_->find_token(byte_level_char(static_cast<unsigned char>(b))) ? present : missing) += static_cast<char>(b);
    QVERIFY(present.size() > 200);
    const uint32_t seed = std::random_device{}();
    qInfo("seed %u", seed);
    std::mt19937 rng(seed);
    const std::string alphabet = "ab Z9 '\t\n<|>_\xC3\xA9\xE4\xBD\xA0";
    for (int trial = 0; trial < 500; ++trial) {
        std::string text(rng() % 40, ' ');
        for (char& c : text) c = rng() % 3 ? alphabet[rng() % alphabet.size()] : present[rng() % present.size()];
        QCOMPARE(tok_->decode(tok_->encode(text, false, true)), text);
    }
    // SmolLM2 has no tokens for bytes that cannot occur in UTF-8; they are left out rather
    // than turned into its "unknown" token, which is <|endoftext|>.
    for (char b : missing) {
        const std::string text = std::string("a") + b + "b";
        QCOMPARE(tok_->decode(tok_->encode(text, false, true)), std::string("ab"));
    }
}

void TestTokenizerSmolLm2::streaming_random_tokens_emits_only_valid_utf8() {
    const uint32_t seed = std::random_device{}();
    qInfo("seed %u", seed);
    std::mt19937 rng(seed);
    // Tokens that are not valid UTF-8 on their own (pieces of multi-byte characters) are
    // the interesting ones: draw half of each sequence from them.
    std::vector<int32_t> partial;
    for (int32_t id = 0; id < tok_->vocab_size(); ++id)
        if (!valid_utf8(tok_->token_to_piece(id))) partial.push_back(id);
    QVERIFY(partial.size() > 50);
    std::uniform_int_distribution<int32_t> any(0, tok_->vocab_size() - 1);
    std::uniform_int_distribution<size_t> pick(0, partial.size() - 1);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<int32_t> ids;
        for (int i = 0; i < 40; ++i) ids.push_back(rng() % 2 ? partial[pick(rng)] : any(rng));
        TokenStreamDecoder stream(*tok_);
        std::string joined;
        for (int32_t id : ids) {
            const std::string chunk = stream.push(id);
            QVERIFY2(valid_utf8(chunk), "push emitted invalid UTF-8");
            joined += chunk;
        }
        const std::string tail = stream.flush();
        QVERIFY(valid_utf8(tail));
        joined += tail;
        const std::string raw = tok_->decode(ids);
        if (valid_utf8(raw)) QCOMPARE(joined, raw);
        else QVERIFY(joined.find("\xEF\xBF\xBD") != std::string::npos);
    }
}

void TestTokenizerSmolLm2::streaming_encoded_text_gives_the_text_back() {
    const std::string text = "Emoji 👨\u200d👩\u200d👧 and 日本語 and naïve café 🇯🇵!";
    const auto ids = tok_->encode(text, false, true);
    TokenStreamDecoder stream(*tok_);
    std::string joined;
    int held_back = 0;
    for (int32_t id : ids) {
        const std::string chunk = stream.push(id);
        QVERIFY(valid_utf8(chunk));
        if (!valid_utf8(tok_->token_to_piece(id))) ++held_back;
        joined += chunk;
    }
    QVERIFY(held_back > 0);  // the text does split characters across tokens
    QCOMPARE(stream.flush(), std::string());
    QCOMPARE(joined, text);
}

void TestTokenizerSmolLm2::encodes_100_kb_of_text() {
    const auto vectors = tokenizer_test::load_json("tokenizer_smollm2_vectors.json");
    std::string text;
    while (text.size() < 100 * 1024)
        for (const auto& c : vectors.at("cases")) text += c.at("text").get<std::string>() + "\n";
    QElapsedTimer timer;
    timer.start();
    const auto ids = tok_->encode(text, false, false);
    const qint64 ms = timer.elapsed();
    qInfo("encoded %zu bytes into %zu tokens in %lld ms", text.size(), ids.size(), static_cast<long long>(ms));
    QVERIFY(ids.size() > text.size() / 10);
    QCOMPARE(tok_->decode(ids), text);

    // Degenerate texts: one 100 KB word, and 100 KB of white space.
    for (const std::string& one_run : {std::string(100 * 1024, 'a'), std::string(100 * 1024, ' ')}) {
        timer.restart();
        const auto run_ids = tok_->encode(one_run, false, true);
        qInfo("100 KB run of '%c': %zu tokens in %lld ms", one_run[0], run_ids.size(),
              static_cast<long long>(timer.elapsed()));
        QCOMPARE(tok_->decode(run_ids), one_run);
    }
}

QTEST_GUILESS_MAIN(TestTokenizerSmolLm2)
#include "test_tokenizer_smollm2.moc"
