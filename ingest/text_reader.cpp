#include "ingest/text_reader.h"

#include "ingest/text_cleaner.h"
#include "ingest/text_decoding.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace ingest {
namespace {

// Text files are held whole in memory (as UTF-16, twice their size); beyond this they are
// not a document a person reads but a data dump.
constexpr qint64 kMaxTextBytes = qint64(256) << 20;

qsizetype best_cut(const QString& text, qsizetype start, int target) {
    const qsizetype limit = start + target;
    const qsizetype floor = start + target / 2;
    // A blank line near the target, else the first one after it (within twice the target).
    qsizetype cut = text.lastIndexOf(QStringLiteral("\n\n"), limit);
    if (cut >= floor) return cut + 2;
    cut = text.indexOf(QStringLiteral("\n\n"), limit);
    if (cut >= 0 && cut <= start + 2 * target) return cut + 2;
    cut = text.lastIndexOf(u'\n', limit);
    if (cut >= floor) return cut + 1;
    cut = text.lastIndexOf(u' ', limit);
    if (cut >= floor) return cut + 1;
    return limit;
}

bool is_markdown(const QString& path, const QString& text) {
    static const QStringList suffixes = {QStringLiteral("md"), QStringLiteral("markdown"), QStringLiteral("mdown"),
                                         QStringLiteral("mkd"), QStringLiteral("mkdn")};
    if (suffixes.contains(QFileInfo(path).suffix().toLower())) return true;
    return text.trimmed().startsWith(QStringLiteral("# "));
}

}  // namespace

QStringList split_logical_pages(const QString& text, int target) {
    QStringList pages;
    target = std::max(target, 200);
    qsizetype start = 0;
    while (start < text.size()) {
        const qsizetype end = text.size() - start <= target ? text.size() : best_cut(text, start, target);
        const QString piece = text.mid(start, end - start).trimmed();
        if (!piece.isEmpty()) pages.append(piece);
        start = end;
    }
    return pages;
}

QString markdown_title(const QString& text) {
    static const QRegularExpression heading(QStringLiteral("^ {0,3}#[ \\t]+(.+?)(?:[ \\t]+#+)?[ \\t]*$"));
    bool in_fence = false;
    for (const auto& line : text.split(u'\n')) {
        const QString trimmed = line.trimmed();
        if (trimmed.startsWith(QStringLiteral("```")) || trimmed.startsWith(QStringLiteral("~~~"))) in_fence = !in_fence;
        if (in_fence) continue;
        const auto match = heading.match(line);
        if (match.hasMatch()) return match.captured(1).trimmed();
    }
    return {};
}

void read_text(const SourceFile& file, const ReadOptions& options, const ProgressCallback& progress,
               const std::atomic<bool>* cancel, Document& doc) {
    if (file.size() > kMaxTextBytes)
        throw IngestError(IngestErrorCode::TooLarge,
                          QStringLiteral("%1 is a %2 MiB text file, larger than the %3 MiB Glimpse reads; split it")
                              .arg(file.path()).arg(file.size() >> 20).arg(kMaxTextBytes >> 20));
    QFile f(file.path());
    if (!f.open(QIODevice::ReadOnly))
        throw IngestError(IngestErrorCode::Unreadable, QStringLiteral("%1 cannot be opened: %2").arg(file.path(), f.errorString()));
    const QByteArray bytes = f.readAll();
    if (bytes.size() != file.size()) file.check_unchanged();
    if (cancel && cancel->load()) throw_cancelled(file.name());

    const DecodedText decoded = decode_text(bytes);
    if (decoded.guessed)
        doc.warnings.append(QStringLiteral("%1 is not valid UTF-8 and has no byte-order mark; it was read as %2. If "
                                           "characters look wrong, save it as UTF-8")
                                .arg(file.name(), decoded.encoding));
    // Form feeds mark pages; split before the clean-up, which strips control characters.
    QStringList pages;
    int undecodable = 0;
    if (decoded.text.contains(u'\f')) {
        for (const auto& piece : decoded.text.split(u'\f')) {
            auto cleaned = clean_text(piece);
            undecodable += cleaned.undecodable;
            pages.append(cleaned.text.trimmed());
        }
        while (!pages.isEmpty() && pages.back().isEmpty()) pages.removeLast();  // a final form feed
    } else {
        auto cleaned = clean_text(decoded.text);
        undecodable = cleaned.undecodable;
        pages = split_logical_pages(cleaned.text, options.text_page_chars);
    }
    if (undecodable > 0)
        doc.warnings.append(QStringLiteral("%1 character(s) in %2 could not be decoded and were left out")
                                .arg(undecodable).arg(file.name()));
    bool any_text = false;
    for (const auto& page : pages) any_text = any_text || !page.isEmpty();
    if (!any_text)
        throw IngestError(IngestErrorCode::Empty,
                          QStringLiteral("%1 contains no text (%2 bytes of white space or control characters)")
                              .arg(file.path()).arg(file.size()));

    const bool markdown = is_markdown(file.path(), pages.front());
    doc.kind = markdown ? SourceKind::Markdown : SourceKind::PlainText;
    if (markdown) doc.title = markdown_title(pages.join(u'\n'));
    if (doc.title.isEmpty()) {
        for (const auto& page : pages) {
            const QString first = page.section(u'\n', 0, 0, QString::SectionSkipEmpty).trimmed();
            if (!first.isEmpty()) { doc.title = first.left(200); break; }
        }
    }
    for (int i = 0; i < int(pages.size()); ++i) {
        if (cancel && cancel->load()) throw_cancelled(file.name());
        doc.pages.push_back({i + 1, pages[i], false, {}, {}});  // no geometry in a text file
        if (progress) progress({i + 1, int(pages.size()), false});
    }
}

}  // namespace ingest
