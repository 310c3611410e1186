#include "ingest/text_cleaner.h"

#include <QList>

namespace ingest {
namespace {

bool is_invisible_format(char32_t c) {
    return c == 0x00AD        // soft hyphen: a line-break hint, not text
        || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

bool is_undecodable(char32_t c) {
    return c == 0xFFFD || (c >= 0xE000 && c <= 0xF8FF);
}

}  // namespace

CleanResult clean_text(const QString& raw) {
    CleanResult result;
    // Line separators become newlines before normalisation so they survive as structure.
    QString text = raw;
    text.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
    text.replace(QChar(u'\r'), QChar(u'\n'));
    text.replace(QChar(0x2028), QChar(u'\n'));
    text.replace(QChar(0x2029), QStringLiteral("\n\n"));
    text = text.normalized(QString::NormalizationForm_KC);

    result.text.reserve(text.size());
    for (char32_t c : text.toUcs4()) {
        if (c == u'\n') { result.text.append(QChar(u'\n')); continue; }
        if (c == u'\t') { result.text.append(QChar(u' ')); continue; }
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) continue;  // control characters
        if (is_invisible_format(c)) continue;
        if (is_undecodable(c)) { ++result.undecodable; continue; }
        if (QChar::category(c) == QChar::Separator_Space) { result.text.append(QChar(u' ')); continue; }
        if (QChar::requiresSurrogates(c)) {
            result.text.append(QChar(QChar::highSurrogate(c)));
            result.text.append(QChar(QChar::lowSurrogate(c)));
        } else {
            result.text.append(QChar(static_cast<char16_t>(c)));
        }
    }
    return result;
}

}  // namespace ingest
