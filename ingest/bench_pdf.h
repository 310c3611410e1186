#pragma once
// `glimpse-cli ingest --bench`: writes a text PDF of N pages, reads it a few times without
// OCR and reports pages per second and peak memory. Needs a QGuiApplication (QPdfWriter
// lays out text with the platform's fonts).

#include <QString>

#include <vector>

namespace ingest {

struct PdfBenchResult {
    int pages = 0;
    qint64 file_bytes = 0;
    double generate_seconds = 0;
    std::vector<double> pages_per_second;  // one per run, wall-clock time
    double median_pages_per_second = 0;
    std::vector<double> pages_per_cpu_second;  // one per run, CPU time of this process
    double median_pages_per_cpu_second = 0;    // what a quiet machine would give
    qsizetype characters = 0;               // extracted by the last run
    double rss_before_mib = 0;              // resident memory before the first run
    double peak_rss_mib = 0;                // peak resident memory over the runs
};

// Writes `pages` pages of running text (with a header and a page-numbered footer) to `path`.
void write_bench_pdf(const QString& path, int pages);

PdfBenchResult run_pdf_bench(int pages = 500, int runs = 3);

}  // namespace ingest
