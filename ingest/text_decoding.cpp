#include "ingest/text_decoding.h"

#include <QStringDecoder>

namespace ingest {
namespace {

QString decode_windows_1252(const QByteArray& bytes) {
    // Code points for 0x80..0x9F; zero marks the five bytes 1252 leaves undefined.
    static const char16_t high[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    };
    QString text(bytes.size(), Qt::Uninitialized);
    QChar* out = text.data();
    for (char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        *out++ = (b >= 0x80 && b <= 0x9F) ? QChar(high[b - 0x80] ? high[b - 0x80] : 0xFFFD) : QChar(b);
    }
    return text;
}

DecodedText decode_with(QStringDecoder::Encoding encoding, const QByteArray& bytes, const char* name) {
    QStringDecoder decoder(encoding, QStringDecoder::Flag::Stateless);
    return {decoder(bytes), QString::fromLatin1(name), false};
}

}  // namespace

int bomless_utf16(const QByteArray& head) {
    const qsizetype pairs = head.size() / 2;
    if (pairs < 4) return 0;
    qsizetype even_zero = 0, odd_zero = 0;
    for (qsizetype i = 0; i + 1 < head.size(); i += 2) {
        even_zero += head[i] == 0;
        odd_zero += head[i + 1] == 0;
    }
    // Mostly-ASCII UTF-16 has a zero in every other byte and almost none in the others.
    if (odd_zero * 10 >= pairs * 3 && even_zero * 50 <= pairs) return 1;
    if (even_zero * 10 >= pairs * 3 && odd_zero * 50 <= pairs) return 2;
    return 0;
}

DecodedText decode_text(const QByteArray& bytes) {
    if (bytes.startsWith("\xEF\xBB\xBF")) return decode_with(QStringDecoder::Utf8, bytes.mid(3), "UTF-8");
    if (bytes.startsWith(QByteArray("\xFF\xFE\0\0", 4))) return decode_with(QStringDecoder::Utf32LE, bytes.mid(4), "UTF-32LE");
    if (bytes.startsWith(QByteArray("\0\0\xFE\xFF", 4))) return decode_with(QStringDecoder::Utf32BE, bytes.mid(4), "UTF-32BE");
    if (bytes.startsWith("\xFF\xFE")) return decode_with(QStringDecoder::Utf16LE, bytes.mid(2), "UTF-16LE");
    if (bytes.startsWith("\xFE\xFF")) return decode_with(QStringDecoder::Utf16BE, bytes.mid(2), "UTF-16BE");
    if (const int utf16 = bomless_utf16(bytes.left(4096))) {
        auto decoded = decode_with(utf16 == 1 ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE, bytes,
                                   utf16 == 1 ? "UTF-16LE" : "UTF-16BE");
        decoded.guessed = true;
        return decoded;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (!utf8.hasError()) return {text, QStringLiteral("UTF-8"), false};
    return {decode_windows_1252(bytes), QStringLiteral("Latin-1 (Windows-1252)"), true};
}

}  // namespace ingest
