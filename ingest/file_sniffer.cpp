#include "ingest/file_sniffer.h"

#include "ingest/text_decoding.h"

namespace ingest {
namespace {

bool starts_with(const QByteArray& data, const char* magic, qsizetype length) {
    return data.size() >= length && std::equal(magic, magic + length, data.constData());
}

QString describe_zip(const QByteArray& head) {
    if (head.contains("mimetypeapplication/epub+zip")) return QStringLiteral("an EPUB e-book (a ZIP archive)");
    if (head.contains("[Content_Types].xml") || head.contains("word/"))
        return QStringLiteral("an Office document such as .docx (a ZIP archive)");
    if (head.contains("mimetypeapplication/vnd.oasis.opendocument"))
        return QStringLiteral("an OpenDocument file (a ZIP archive)");
    return QStringLiteral("a ZIP archive");
}

// Text has no NUL bytes (UTF-16 is recognised by its BOM before this is asked) and few
// control characters other than whitespace and form feeds.
bool looks_like_text(const QByteArray& head) {
    if (head.startsWith("\xFF\xFE") || head.startsWith("\xFE\xFF") || head.startsWith(QByteArray("\0\0\xFE\xFF", 4))
        || bomless_utf16(head) != 0)
        return true;
    qsizetype suspicious = 0;
    for (char c : head) {
        const auto b = static_cast<unsigned char>(c);
        if (b == 0) return false;
        if (b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f' && b != 0x1B) ++suspicious;
    }
    return suspicious <= std::max<qsizetype>(4, head.size() / 100);  // a few stray control bytes, at most 1%
}

}  // namespace

SniffResult sniff_content(const QByteArray& head) {
    // The PDF header may follow a little junk; readers accept it within the first KiB.
    if (head.left(1024).contains("%PDF-")) return {SniffedKind::Pdf, {}};

    struct Magic { const char* bytes; qsizetype length; const char* what; };
    static const Magic magics[] = {
        {"\x89PNG\r\n\x1A\n", 8, "a PNG image"},
        {"\xFF\xD8\xFF", 3, "a JPEG image"},
        {"GIF87a", 6, "a GIF image"},
        {"GIF89a", 6, "a GIF image"},
        {"II*\0", 4, "a TIFF image"},
        {"MM\0*", 4, "a TIFF image"},
        {"BM", 2, nullptr},  // checked below: too short to trust alone
        {"\x1F\x8B", 2, "a gzip-compressed file"},
        {"7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive"},
        {"Rar!\x1A\x07", 6, "a RAR archive"},
        {"\x7F" "ELF", 4, "a program (ELF executable)"},
        {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, "an old Microsoft Office document (.doc/.xls)"},
        {"{\\rtf", 5, "an RTF document"},
        {"AT&TFORM", 8, "a DjVu document"},
        {"SQLite format 3", 15, "an SQLite database"},
        {"GGUF", 4, "a GGUF model file"},
    };
    for (const auto& m : magics) {
        if (!starts_with(head, m.bytes, m.length)) continue;
        if (m.what) return {SniffedKind::Other, QString::fromLatin1(m.what)};
        if (head.size() > 14 && !looks_like_text(head)) return {SniffedKind::Other, QStringLiteral("a BMP image")};
    }
    if (starts_with(head, "PK\x03\x04", 4) || starts_with(head, "PK\x05\x06", 4) || starts_with(head, "PK\x07\x08", 4))
        return {SniffedKind::Other, describe_zip(head)};
    if (head.size() >= 12 && starts_with(head, "RIFF", 4) && head.mid(8, 4) == "WEBP")
        return {SniffedKind::Other, QStringLiteral("a WebP image")};
    if (looks_like_text(head)) return {SniffedKind::Text, {}};
    return {SniffedKind::Other, QStringLiteral("a binary file of unknown type")};
}

}  // namespace ingest
