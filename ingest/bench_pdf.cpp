#include "ingest/bench_pdf.h"

#include "engine/process_memory.h"
#include "ingest/read_document.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QPainter>
#include <QPdfWriter>
#include <QTemporaryDir>

#include <algorithm>
#include <ctime>

namespace ingest {
namespace {

// A fixed vocabulary walked by a simple generator: varied text, same on every run.
QString bench_sentence(quint32& state) {
    static const char* words[] = {"document", "reader", "page", "layout", "column", "paragraph", "memory", "model",
                                  "question", "answer", "context", "section", "figure", "table", "result", "method",
                                  "value", "measure", "evidence", "chapter", "note", "index", "source", "claim"};
    QString sentence;
    const int length = 6 + int(state % 7);
    for (int i = 0; i < length; ++i) {
        state = state * 1664525u + 1013904223u;
        if (i) sentence += u' ';
        sentence += QString::fromLatin1(words[(state >> 16) % (sizeof(words) / sizeof(words[0]))]);
    }
    sentence[0] = sentence[0].toUpper();
    return sentence + u'.';
}

double process_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + t.tv_nsec / 1e9;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

void write_bench_pdf(const QString& path, int pages) {
    QPdfWriter writer(path);
    writer.setResolution(72);
    writer.setPageSize(QPageSize(QPageSize::Letter));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setTitle(QStringLiteral("Glimpse ingest benchmark"));
    QPainter painter(&writer);
    QFont font(QStringLiteral("DejaVu Serif"));
    font.setPixelSize(10);
    painter.setFont(font);
    quint32 state = 12345;
    for (int p = 0; p < pages; ++p) {
        if (p) writer.newPage();
        painter.drawText(QRectF(72, 30, 468, 14), Qt::AlignCenter, QStringLiteral("Glimpse Benchmark Manual"));
        double y = 72;
        while (y < 700) {
            // Fill lines of about 90 characters from the sentence stream.
            QString line;
            while (line.size() < 90) line += (line.isEmpty() ? QString() : QStringLiteral(" ")) + bench_sentence(state);
            painter.drawText(QRectF(72, y, 468, 14), Qt::AlignLeft | Qt::TextSingleLine, line.left(95));
            y += 13;
        }
        painter.drawText(QRectF(72, 750, 468, 14), Qt::AlignCenter, QStringLiteral("Page %1").arg(p + 1));
    }
    painter.end();
}

PdfBenchResult run_pdf_bench(int pages, int runs) {
    PdfBenchResult result;
    result.pages = pages;
    QTemporaryDir dir;
    if (!dir.isValid())
        throw IngestError(IngestErrorCode::Unreadable, QStringLiteral("cannot create a temporary folder for the benchmark PDF"));
    const QString path = dir.filePath(QStringLiteral("bench.pdf"));
    QElapsedTimer timer;
    timer.start();
    write_bench_pdf(path, pages);
    result.generate_seconds = timer.nsecsElapsed() / 1e9;
    result.file_bytes = QFileInfo(path).size();

    ReadOptions options;
    options.ocr = false;
    engine::reset_peak_rss();
    result.rss_before_mib = engine::current_rss_bytes() / 1048576.0;
    for (int r = 0; r < runs; ++r) {
        timer.restart();
        const double cpu_start = process_cpu_seconds();
        const Document doc = read_document(path, options);
        const double seconds = timer.nsecsElapsed() / 1e9;
        result.pages_per_second.push_back(doc.pages.size() / seconds);
        result.pages_per_cpu_second.push_back(doc.pages.size() / std::max(1e-9, process_cpu_seconds() - cpu_start));
        result.characters = doc.character_count();
    }
    result.peak_rss_mib = engine::peak_rss_bytes() / 1048576.0;
    result.median_pages_per_second = median(result.pages_per_second);
    result.median_pages_per_cpu_second = median(result.pages_per_cpu_second);
    return result;
}

}  // namespace ingest
