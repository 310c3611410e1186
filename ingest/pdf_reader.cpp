#include "ingest/pdf_reader.h"

#include "ingest/ocr_reader.h"
#include "ingest/page_layout.h"
#include "ingest/paragraph_joiner.h"
#include "ingest/running_header_filter.h"
#include "ingest/text_cleaner.h"
#include "ingest/word_alignment.h"

#include <QFile>
#include <QFileInfo>

#include <poppler-qt6.h>

#include <cmath>
#include <mutex>
#include <optional>

namespace ingest {
namespace {

// Poppler reports syntax problems through one global hook; count them per thread so a
// damaged file can be flagged in its own warnings.
thread_local int poppler_complaints = 0;

void count_poppler_message(const QString&, const QVariant&) { ++poppler_complaints; }

void install_poppler_hook() {
    static std::once_flag once;
    std::call_once(once, [] { Poppler::setDebugErrorFunction(&count_poppler_message, QVariant()); });
}

bool should_abort(const QVariant& closure) {
    const auto* flag = reinterpret_cast<const std::atomic<bool>*>(closure.value<quintptr>());
    return flag && flag->load();
}

// Readers find "%%EOF" near the end of every complete PDF; a missing one means the file
// was cut short (an interrupted download or copy).
bool has_end_marker(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return false;
    const qint64 tail = std::min<qint64>(file.size(), 2048);
    file.seek(file.size() - tail);
    return file.read(tail).contains("%%EOF");
}

struct PageWords {
    std::vector<PositionedWord> words;
    QSizeF size;  // of the page as the words are laid out
    Poppler::Page::Rotation turn = Poppler::Page::Rotate0;  // how the page was turned for reading
};

// A box on the page turned by `turn` (of `upright` size, unturned) as it sits on the page
// unturned: the inverse of Poppler's clockwise display rotations.
QRectF unturned_box(const QRectF& box, Poppler::Page::Rotation turn, QSizeF upright) {
    const double w = upright.width(), h = upright.height();
    switch (turn) {
    case Poppler::Page::Rotate90: return QRectF(QPointF(box.top(), h - box.right()), QPointF(box.bottom(), h - box.left()));
    case Poppler::Page::Rotate180: return QRectF(QPointF(w - box.right(), h - box.bottom()), QPointF(w - box.left(), h - box.top()));
    case Poppler::Page::Rotate270: return QRectF(QPointF(w - box.bottom(), box.left()), QPointF(w - box.top(), box.right()));
    case Poppler::Page::Rotate0: break;
    }
    return box;
}

// Which way most words run, from their first and last characters: 0 left-to-right, 1 top
// to bottom, 2 right-to-left (upside down), 3 bottom to top.
int dominant_direction(const std::vector<std::unique_ptr<Poppler::TextBox>>& boxes) {
    int votes[4] = {0, 0, 0, 0};
    for (const auto& box : boxes) {
        const int n = int(box->text().size());
        if (n < 2) continue;
        const QPointF d = box->charBoundingBox(n - 1).center() - box->charBoundingBox(0).center();
        if (std::abs(d.x()) >= std::abs(d.y())) ++votes[d.x() >= 0 ? 0 : 2];
        else ++votes[d.y() >= 0 ? 1 : 3];
    }
    return int(std::max_element(votes, votes + 4) - votes);
}

// Words as a reader sees them once the page is turned so that most text runs left to right
// (a landscape table on a portrait page, a page scanned sideways with a text layer).
PageWords page_words(const Poppler::Page& page, const std::atomic<bool>* cancel) {
    const QVariant closure = QVariant::fromValue(reinterpret_cast<quintptr>(cancel));
    auto boxes = page.textList(Poppler::Page::Rotate0, &should_abort, closure);
    QSizeF size = page.pageSizeF();
    // Turning the page against the text's direction puts it upright.
    static const Poppler::Page::Rotation turn[4] = {Poppler::Page::Rotate0, Poppler::Page::Rotate270,
                                                    Poppler::Page::Rotate180, Poppler::Page::Rotate90};
    int direction = dominant_direction(boxes);
    if (direction != 0) {
        auto turned = page.textList(turn[direction], &should_abort, closure);
        if (dominant_direction(turned) == 0) {
            boxes = std::move(turned);
            if (direction != 2) size.transpose();
        } else {
            direction = 0;
        }
    }
    PageWords result;
    result.size = size;
    result.turn = turn[direction];
    result.words.reserve(boxes.size());
    for (const auto& box : boxes) result.words.push_back({box->text(), box->boundingBox(), box->hasSpaceAfter()});
    return result;
}

// Share of dark pixels: a page scanned blank (or drawn empty) has almost none.
bool looks_blank(const QImage& image) {
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    qint64 dark = 0;
    for (int y = 0; y < gray.height(); ++y) {
        const uchar* row = gray.constScanLine(y);
        for (int x = 0; x < gray.width(); ++x) dark += row[x] < 160;
    }
    return dark <= qint64(gray.width()) * gray.height() / 2000;
}

QImage render_page(const Poppler::Page& page, int dpi, const std::atomic<bool>* cancel) {
    return page.renderToImage(dpi, dpi, -1, -1, -1, -1, Poppler::Page::Rotate0, nullptr, nullptr, &should_abort,
                              QVariant::fromValue(reinterpret_cast<quintptr>(cancel)));
}

// Keeps a render within ~64 megapixels whatever size the page claims to be.
int bounded_dpi(QSizeF page_points, int dpi) {
    const double pixels = page_points.width() * page_points.height() * (dpi / 72.0) * (dpi / 72.0);
    constexpr double kMaxPixels = 64e6;
    if (pixels <= kMaxPixels || pixels <= 0) return dpi;
    return std::max(10, int(dpi * std::sqrt(kMaxPixels / pixels)));
}

qsizetype text_size(const PageLayout& layout) {
    qsizetype n = 0;
    for (const auto& line : layout.lines) n += line.text.size();
    return n;
}

std::unique_ptr<Poppler::Document> open_pdf(const SourceFile& file, const ReadOptions& options) {
    if (!has_end_marker(file.path()))
        throw IngestError(IngestErrorCode::Damaged,
                          QStringLiteral("%1 is cut short: a complete PDF ends with an %%EOF marker and this one does "
                                         "not (%2 bytes). It was probably not completely downloaded or copied; get "
                                         "the file again")
                              .arg(file.path())
                              .arg(file.size()));
    auto doc = Poppler::Document::load(file.path());
    if (!doc)
        throw IngestError(IngestErrorCode::Damaged,
                          QStringLiteral("%1 is damaged: Poppler could not read its structure. Try opening and "
                                         "re-saving it in a PDF viewer").arg(file.path()));
    if (doc->isLocked()) {
        if (options.password.isEmpty())
            throw IngestError(IngestErrorCode::NeedsPassword,
                              QStringLiteral("%1 is password-protected; give its password to read it").arg(file.path()));
        // The password may be the user or the owner password.
        doc->unlock(QByteArray(), options.password);
        if (doc->isLocked()) doc->unlock(options.password, QByteArray());
        if (doc->isLocked())
            throw IngestError(IngestErrorCode::WrongPassword,
                              QStringLiteral("%1: the password given does not open this PDF; check it and try again")
                                  .arg(file.path()));
    }
    return doc;
}

QString metadata_title(const Poppler::Document& doc) {
    const QString title = clean_text(doc.title()).text.simplified();
    // Producers often leave placeholders; they are no title.
    const QString lower = title.toLower();
    if (lower.isEmpty() || lower == u"untitled" || lower.startsWith(u"microsoft word - ") || lower.endsWith(u".dvi")
        || lower.endsWith(u".doc") || lower.endsWith(u".docx") || lower.endsWith(u".pdf"))
        return {};
    return title;
}

// The first page's largest text (a heading, with its wrapped lines) if it stands out from
// the rest, else the first line.
QString title_from_text(const std::vector<LayoutLine>& first_page) {
    std::vector<const LayoutLine*> body;
    for (const auto& line : first_page) body.push_back(&line);
    if (body.empty()) return {};
    size_t best = 0;
    double smallest = body[0]->height;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i]->height > body[best]->height * 1.15) best = i;
        smallest = std::min(smallest, body[i]->height);
    }
    if (body[best]->height <= 1.15 * smallest) return body[0]->text.left(200);
    QString title = body[best]->text;
    for (size_t i = best + 1; i < body.size() && i < best + 3; ++i) {
        if (body[i]->paragraph_start || std::abs(body[i]->height - body[best]->height) > 0.1 * body[best]->height) break;
        title += u' ' + body[i]->text;
    }
    return title.left(200);
}

// The boxes of the page's words, aligned to its final text, on the unturned page.
std::vector<WordBox> page_word_boxes(const QString& text, const std::vector<LayoutLine>& lines,
                                     Poppler::Page::Rotation turn, QSizeF size) {
    std::vector<PositionedWord> words;
    for (const auto& line : lines) line.words.append_to(words);
    std::vector<WordBox> boxes = align_words(text, words);
    for (auto& b : boxes) b.box = unturned_box(b.box, turn, size);
    return boxes;
}

}  // namespace

void read_pdf(const SourceFile& file, const ReadOptions& options, const ProgressCallback& progress,
              const std::atomic<bool>* cancel, Document& doc) {
    install_poppler_hook();
    poppler_complaints = 0;
    auto pdf = open_pdf(file, options);
    pdf->setRenderHint(Poppler::Document::Antialiasing, true);
    pdf->setRenderHint(Poppler::Document::TextAntialiasing, true);

    const int page_count = pdf->numPages();
    if (page_count <= 0)
        throw IngestError(IngestErrorCode::Damaged, QStringLiteral("%1 has no pages; the file may be damaged").arg(file.path()));
    if (page_count > options.max_pages)
        throw IngestError(IngestErrorCode::TooLarge,
                          QStringLiteral("%1 has %2 pages, more than the limit of %3; split it into smaller files")
                              .arg(file.path()).arg(page_count).arg(options.max_pages));
    doc.title = metadata_title(*pdf);
    doc.author = clean_text(pdf->author()).text.simplified();

    std::optional<OcrReader> ocr;
    std::vector<std::vector<LayoutLine>> pages(page_count);
    std::vector<QSizeF> sizes(page_count);
    std::vector<Poppler::Page::Rotation> turns(page_count, Poppler::Page::Rotate0);
    std::vector<bool> from_ocr(page_count, false);
    QList<int> unread_scans;
    int undecodable = 0;
    DocumentVocabulary vocabulary;

    for (int i = 0; i < page_count; ++i) {
        if (cancel && cancel->load()) throw_cancelled(file.name());
        file.check_unchanged();
        std::unique_ptr<Poppler::Page> page = pdf->page(i);
        if (!page) {
            doc.warnings.append(QStringLiteral("page %1 could not be read (damaged page object)").arg(i + 1));
            if (progress) progress({i + 1, page_count, false});
            continue;
        }
        const QSizeF size = page->pageSizeF();
        sizes[i] = size;
        const PageWords words = page_words(*page, cancel);
        turns[i] = words.turn;
        PageLayout layout = lay_out_page(words.words, words.size);
        if (cancel && cancel->load()) throw_cancelled(file.name());

        if (text_size(layout) == 0) {
            // No text layer: blank, or a scan that needs OCR.
            const int dpi = options.ocr ? bounded_dpi(size, options.ocr_dpi) : bounded_dpi(size, 50);
            const QImage image = render_page(*page, dpi, cancel);
            if (cancel && cancel->load()) throw_cancelled(file.name());
            if (!image.isNull() && !looks_blank(image)) {
                ++doc.pages_needing_ocr;
                if (options.ocr && !ocr) {
                    ocr.emplace(options.ocr_language, options.tessdata_dir);
                    if (!ocr->available()) doc.warnings.append(ocr->unavailable_reason());
                }
                if (options.ocr && ocr->available()) {
                    if (dpi < options.ocr_dpi)
                        doc.warnings.append(QStringLiteral("page %1 is very large; it was read by OCR at %2 dpi").arg(i + 1).arg(dpi));
                    layout = ocr->read_page(image, dpi, size, cancel);
                    if (cancel && cancel->load()) throw_cancelled(file.name());
                    turns[i] = Poppler::Page::Rotate0;  // OCR read the page as rendered
                    from_ocr[i] = true;
                    ++doc.ocr_page_count;
                    if (layout.lines.empty())
                        doc.warnings.append(QStringLiteral("page %1 has no text layer and OCR found no words on it").arg(i + 1));
                } else {
                    unread_scans.append(i + 1);
                }
            }
        }
        undecodable += layout.undecodable;
        for (const auto& line : layout.lines) vocabulary.add_line(line.text);
        pages[i] = std::move(layout.lines);
        if (progress) progress({i + 1, page_count, bool(from_ocr[i])});
    }
    file.check_unchanged();

    if (!unread_scans.isEmpty()) {
        QStringList numbers;
        for (int n : unread_scans.mid(0, 20)) numbers.append(QString::number(n));
        if (unread_scans.size() > 20) numbers.append(QStringLiteral("…"));
        doc.warnings.append(QStringLiteral("%1 page(s) have no text layer and were not read because %2: pages %3")
                                .arg(unread_scans.size())
                                .arg(options.ocr ? QStringLiteral("OCR is unavailable") : QStringLiteral("OCR is off"))
                                .arg(numbers.join(QStringLiteral(", "))));
    }
    if (undecodable > 0)
        doc.warnings.append(QStringLiteral("%1 character(s) could not be decoded (a font without a Unicode map) and "
                                           "were left out").arg(undecodable));
    if (poppler_complaints > 0)
        doc.warnings.append(QStringLiteral("Poppler reported %1 problem(s) in the file's structure; some text may be "
                                           "missing").arg(poppler_complaints));

    // Before header removal: a document's running header is often its title.
    if (doc.title.isEmpty() && !pages.empty()) doc.title = title_from_text(pages.front());
    const HeaderRemoval removal = remove_running_headers(pages);
    if (removal.lines_removed > 0)
        doc.warnings.append(QStringLiteral("left out %1 running header/footer line(s) repeated across pages, such as \"%2\"")
                                .arg(removal.lines_removed)
                                .arg(removal.examples.join(QStringLiteral("\", \""))));
    join_words_across_pages(pages, vocabulary);

    bool any_text = false;
    doc.pages.reserve(page_count);
    for (int i = 0; i < page_count; ++i) {
        Page page;
        page.number = i + 1;
        page.text = join_lines(pages[i], vocabulary);
        page.ocr = from_ocr[i];
        page.size = sizes[i];
        page.words = page_word_boxes(page.text, pages[i], turns[i], sizes[i]);
        std::vector<LayoutLine>().swap(pages[i]);
        any_text = any_text || !page.text.isEmpty();
        doc.pages.push_back(std::move(page));
    }
    if (!any_text) {
        QString why;
        if (doc.pages_needing_ocr == 0) why = QStringLiteral("its pages are blank");
        else if (!options.ocr) why = QStringLiteral("its pages are images without a text layer (a scan) and OCR is off; turn OCR on to read them");
        else if (ocr && !ocr->available()) why = QStringLiteral("its pages are images and OCR is unavailable: ") + ocr->unavailable_reason();
        else why = QStringLiteral("its pages are images and OCR found no words on them");
        throw IngestError(IngestErrorCode::NoText,
                          QStringLiteral("%1 contains no text on any of its %2 page(s): %3").arg(file.path()).arg(page_count).arg(why));
    }
}

}  // namespace ingest
