// The streaming decoder, fed one token at a time, emits only complete, valid UTF-8: it
// holds back a character split across tokens and turns bytes that can never be valid
// into U+FFFD. Checked on random byte-token sequences against Qt's UTF-8 validation and
// the WHATWG decoding algorithm.

#include "engine/error.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "test_tokenizer_support.h"

#include <QStringDecoder>
#include <QtTest/QtTest>

#include <random>

using namespace engine;

namespace {

bool valid_utf8(const std::string& s) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(QByteArrayView(s.data(), static_cast<qsizetype>(s.size())));
    return !decoder.hasError();
}

const std::string kReplacement = "\xEF\xBF\xBD";

// The reference for replacement: the WHATWG Encoding Standard's UTF-8 decoder, written
// out step by step as the standard gives it (one U+FFFD per maximal invalid subpart).
// Qt's decoder replaces every byte of a truncated sequence, so it only checks validity.
std::string whatwg_decode(const std::string& in) {
    std::string out;
    uint32_t code_point = 0;
    int needed = 0, seen = 0;
    unsigned lower = 0x80, upper = 0xBF;
    const auto append_code_point = [&](uint32_t cp) {
        QString s = QString::fromUcs4(reinterpret_cast<const char32_t*>(&cp), 1);
        out += s.toUtf8().toStdString();
    };
    for (size_t i = 0; i < in.size();) {
        const auto byte = static_cast<unsigned char>(in[i]);
        if (needed == 0) {
            ++i;
            if (byte <= 0x7F) {
                out += static_cast<char>(byte);
            } else if (byte >= 0xC2 && byte <= 0xDF) {
                needed = 1; code_point = byte & 0x1F;
            } else if (byte >= 0xE0 && byte <= 0xEF) {
                if (byte == 0xE0) lower = 0xA0;
                if (byte == 0xED) upper = 0x9F;
                needed = 2; code_point = byte & 0xF;
            } else if (byte >= 0xF0 && byte <= 0xF4) {
                if (byte == 0xF0) lower = 0x90;
                if (byte == 0xF4) upper = 0x8F;
                needed = 3; code_point = byte & 0x7;
            } else {
                out += kReplacement;
            }
            continue;
        }
        if (byte < lower || byte > upper) {
            // The byte is not consumed: it starts afresh after the replacement.
            code_point = 0; needed = 0; seen = 0; lower = 0x80; upper = 0xBF;
            out += kReplacement;
            continue;
        }
        ++i;
        lower = 0x80; upper = 0xBF;
        code_point = (code_point << 6) | (byte & 0x3F);
        if (++seen == needed) {
            append_code_point(code_point);
            code_point = 0; needed = 0; seen = 0;
        }
    }
    if (needed) out += kReplacement;  // the input ended inside a character
    return out;
}

}  // namespace

class TestTokenizerStreamDecoder : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void random_byte_sequences_stream_as_valid_utf8();
    void split_character_is_held_back_until_complete();
    void bytes_that_cannot_be_utf8_become_replacement_characters();
    void flush_emits_an_unfinished_character_as_replacement();
    void overlongs_and_surrogates_are_invalid();

private:
    std::optional<Tokenizer> tok_;
    int32_t byte_token(unsigned char b) const { return *tok_->find_token(byte_level_char(b)); }
    std::string stream_bytes(const std::vector<unsigned char>& bytes) const;
};

void TestTokenizerStreamDecoder::initTestCase() {
    // A byte-level vocabulary of the 256 single bytes plus a token "é" made by one merge,
    // so that a token can hold a whole character.
    nlohmann::json v;
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.emplace_back(byte_level_char(static_cast<unsigned char>(b)));
    tokens.push_back(bytes_to_byte_level("\xC3\xA9"));
    v["model"] = "gpt2";
    v["pre"] = "gpt2";
    v["tokens"] = tokens;
    v["token_type"] = std::vector<int32_t>(tokens.size(), 1);
    v["merges"] = std::vector<std::string>{std::string(byte_level_char(0xC3)) + " " + std::string(byte_level_char(0xA9))};
    tok_.emplace(tokenizer_test::tokenizer_from_json(v, "bytes.gguf"));
}

std::string TestTokenizerStreamDecoder::stream_bytes(const std::vector<unsigned char>& bytes) const {
    TokenStreamDecoder stream(*tok_);
    std::string out;
    for (unsigned char b : bytes) {
        const std::string chunk = stream.push(byte_token(b));
        if (!valid_utf8(chunk)) {
            qWarning("invalid chunk");
            return "<invalid chunk>";
        }
        out += chunk;
    }
    return out + stream.flush();
}

void TestTokenizerStreamDecoder::random_byte_sequences_stream_as_valid_utf8() {
    const uint32_t seed = std::random_device{}();
    qInfo("seed %u", seed);
    std::mt19937 rng(seed);
    // Bytes drawn mostly from UTF-8's lead and continuation ranges, so that both valid
    // characters and every kind of broken one are common.
    const auto draw = [&]() -> unsigned char {
        switch (rng() % 4) {
            case 0: return static_cast<unsigned char>(0x20 + rng() % 0x60);
            case 1: return static_cast<unsigned char>(0x80 + rng() % 0x40);
            case 2: return static_cast<unsigned char>(0xC0 + rng() % 0x40);
            default: return static_cast<unsigned char>(rng() % 256);
        }
    };
    for (int trial = 0; trial < 2000; ++trial) {
        std::vector<unsigned char> bytes(1 + rng() % 24);
        for (auto& b : bytes) b = draw();
        const std::string raw(bytes.begin(), bytes.end());
        const std::string streamed = stream_bytes(bytes);
        QVERIFY(valid_utf8(streamed));
        if (valid_utf8(raw)) QCOMPARE(streamed, raw);
        QCOMPARE(streamed, whatwg_decode(raw));
    }
}

void TestTokenizerStreamDecoder::split_character_is_held_back_until_complete() {
    const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
    TokenStreamDecoder stream(*tok_);
    QCOMPARE(stream.push(byte_token('a')), std::string("a"));
    for (int i = 0; i < 3; ++i) QCOMPARE(stream.push(byte_token(static_cast<unsigned char>(emoji[i]))), std::string());
    QCOMPARE(stream.push(byte_token(static_cast<unsigned char>(emoji[3]))), emoji);
    // A whole-character token passes straight through.
    const auto e_acute = tok_->encode("\xC3\xA9", false, false);
    QCOMPARE(e_acute.size(), size_t(1));
    QCOMPARE(stream.push(e_acute[0]), std::string("\xC3\xA9"));
    QCOMPARE(stream.flush(), std::string());
}

void TestTokenizerStreamDecoder::bytes_that_cannot_be_utf8_become_replacement_characters() {
    TokenStreamDecoder stream(*tok_);
    QCOMPARE(stream.push(byte_token(0xFF)), kReplacement);
    QCOMPARE(stream.push(byte_token(0x80)), kReplacement);  // a continuation with no lead
    QCOMPARE(stream.push(byte_token(0xE2)), std::string());
    QCOMPARE(stream.push(byte_token(0x82)), std::string());
    QCOMPARE(stream.push(byte_token('A')), kReplacement + "A");  // "\xE2\x82" never finished
}

void TestTokenizerStreamDecoder::flush_emits_an_unfinished_character_as_replacement() {
    TokenStreamDecoder stream(*tok_);
    QCOMPARE(stream.push(byte_token(0xF0)), std::string());
    QCOMPARE(stream.push(byte_token(0x9F)), std::string());
    QCOMPARE(stream.flush(), kReplacement);
    QCOMPARE(stream.flush(), std::string());
    QCOMPARE(stream.push(byte_token('z')), std::string("z"));  // starts afresh
}

void TestTokenizerStreamDecoder::overlongs_and_surrogates_are_invalid() {
    QCOMPARE(stream_bytes({0xC0, 0x80}), kReplacement + kReplacement);            // overlong NUL
    QCOMPARE(stream_bytes({0xED, 0xA0, 0x80}), kReplacement + kReplacement + kReplacement);  // surrogate
    QCOMPARE(stream_bytes({0xF4, 0x90, 0x80, 0x80}), kReplacement + kReplacement + kReplacement + kReplacement);
    QCOMPARE(stream_bytes({0xF4, 0x8F, 0xBF, 0xBF}), std::string("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

QTEST_GUILESS_MAIN(TestTokenizerStreamDecoder)
#include "test_tokenizer_stream_decoder.moc"
