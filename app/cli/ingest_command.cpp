#include "cli/commands.h"

#include "engine/default_model.h"
#include "engine/error.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

#include "ingest/bench_pdf.h"
#include "ingest/read_document.h"
#include "prompt/document_prompt.h"

#include <CLI/CLI.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace glimpse::cli {
namespace {

struct IngestCommandOptions {
    std::vector<std::string> files;
    std::string dump;
    std::string password;
    bool no_ocr = false;
    bool bench = false;
    int bench_pages = 500;
    std::string model;
};

// Tokens a document takes in a prompt (page markers included), for the chosen model.
class PromptTokenCounter {
public:
    explicit PromptTokenCounter(const std::string& model) {
        std::filesystem::path path = model;
        if (path.empty()) {
            path = engine::default_model_path();
            if (!std::filesystem::exists(path)) return;   // counting is optional without a model
        }
        file_ = std::make_unique<engine::GgufFile>(engine::GgufFile::open(path));
        tokenizer_ = engine::Tokenizer::from_gguf(*file_);
        model_name_ = path.filename().string();
    }
    bool available() const { return tokenizer_.has_value(); }
    const std::string& model_name() const { return model_name_; }
    size_t count(const ingest::Document& doc) const {
        glimpse::PromptDocument d{doc.title.toStdString(), {}};
        for (const auto& page : doc.pages) d.pages.push_back({page.number, page.text.toStdString()});
        return tokenizer_->encode(glimpse::document_message({d}, ""), false, false).size();
    }

private:
    std::unique_ptr<engine::GgufFile> file_;
    std::optional<engine::Tokenizer> tokenizer_;
    std::string model_name_;
};

void print_line(const QString& text) { std::printf("%s\n", text.toUtf8().constData()); }

// The dump keeps page numbers visible, as the prompt will.
QByteArray dump_text(const ingest::Document& doc) {
    QString out;
    for (const auto& page : doc.pages)
        out += QStringLiteral("=== page %1%2 ===\n%3\n\n").arg(page.number).arg(page.ocr ? QStringLiteral(" (OCR)") : QString(), page.text);
    return out.toUtf8();
}

QString dump_path(const IngestCommandOptions& o, const QString& input) {
    const QString out = QString::fromStdString(o.dump);
    if (o.files.size() == 1 && !QFileInfo(out).isDir()) return out;
    QDir().mkpath(out);
    return QDir(out).filePath(QFileInfo(input).completeBaseName() + QStringLiteral(".txt"));
}

void run_bench(const IngestCommandOptions& o) {
    // QPdfWriter needs a GUI application for its fonts; none is shown.
    std::unique_ptr<QGuiApplication> gui;
    if (!QCoreApplication::instance()) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
        static int argc = 1;
        static char name[] = "glimpse-cli";
        static char* argv[] = {name, nullptr};
        gui = std::make_unique<QGuiApplication>(argc, argv);
    } else if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance())) {
        throw engine::Error("ingest --bench needs a QGuiApplication to write its test PDF");
    }
    ingest::PdfBenchResult r;
    try {
        r = ingest::run_pdf_bench(o.bench_pages, 3);
    } catch (const ingest::IngestError& e) {
        throw engine::Error(std::string("ingest benchmark failed: ") + e.what());
    }
    std::printf("ingest bench: %d-page text PDF (%.1f MiB), written in %.2f s\n", r.pages, r.file_bytes / 1048576.0,
                r.generate_seconds);
    for (size_t i = 0; i < r.pages_per_second.size(); ++i)
        std::printf("  run %zu: %.1f pages/s (%.1f pages per CPU second)\n", i + 1, r.pages_per_second[i],
                    r.pages_per_cpu_second[i]);
    std::printf("  median: %.1f pages/s wall clock, %.1f pages per CPU second (no OCR), %lld characters\n",
                r.median_pages_per_second, r.median_pages_per_cpu_second, static_cast<long long>(r.characters));
    std::printf("  resident memory: %.1f MiB before, %.1f MiB peak\n", r.rss_before_mib, r.peak_rss_mib);
}

void run_ingest(const IngestCommandOptions& o) {
    if (o.bench) {
        run_bench(o);
        return;
    }
    if (o.files.empty()) throw CLI::ValidationError("ingest", "give at least one FILE (or --bench)");
    ingest::ReadOptions options;
    options.ocr = !o.no_ocr;
    options.password = QByteArray::fromStdString(o.password);
    const PromptTokenCounter tokens(o.model);
    int failures = 0;
    for (const auto& name : o.files) {
        const QString path = QString::fromStdString(name);
        try {
            const auto progress = [](const ingest::Progress& p) {
                if (p.page == p.page_count || p.page % 50 == 0 || p.ocr)
                    std::fprintf(stderr, "\r  page %d/%d%s", p.page, p.page_count, p.page == p.page_count ? "\n" : "");
            };
            const ingest::Document doc = ingest::read_document(path, options, progress);
            print_line(path);
            print_line(QStringLiteral("  title:      %1").arg(doc.title));
            print_line(QStringLiteral("  author:     %1").arg(doc.author.isEmpty() ? QStringLiteral("(none)") : doc.author));
            print_line(QStringLiteral("  pages:      %1").arg(doc.pages.size()));
            print_line(QStringLiteral("  characters: %1").arg(doc.character_count()));
            if (tokens.available())
                print_line(QStringLiteral("  tokens:     %1 (%2)").arg(tokens.count(doc)).arg(QString::fromStdString(tokens.model_name())));
            print_line(QStringLiteral("  needing OCR: %1 (read by OCR: %2)").arg(doc.pages_needing_ocr).arg(doc.ocr_page_count));
            if (doc.kind == ingest::SourceKind::Pdf) {
                // Words of the text (between spaces) with at least one box on them.
                qsizetype words = 0, boxed = 0;
                for (const auto& page : doc.pages) {
                    const QByteArray text = page.text.toUtf8();
                    std::vector<bool> drawn(size_t(text.size()), false);
                    for (const auto& w : page.words)
                        for (int b = std::max(0, w.begin); b < std::min(int(text.size()), w.end); ++b) drawn[size_t(b)] = true;
                    for (qsizetype i = 0; i < text.size();) {
                        while (i < text.size() && QChar::isSpace(uchar(text[i]))) ++i;
                        if (i >= text.size()) break;
                        bool any = false;
                        for (; i < text.size() && !QChar::isSpace(uchar(text[i])); ++i) any = any || drawn[size_t(i)];
                        ++words;
                        boxed += any;
                    }
                }
                print_line(QStringLiteral("  word boxes: %1 of %2 words placed on their page (%3%)")
                               .arg(boxed).arg(words).arg(words ? 100.0 * double(boxed) / double(words) : 0.0, 0, 'f', 1));
            }
            print_line(QStringLiteral("  sha256:     %1").arg(doc.fingerprint));
            for (const auto& warning : doc.warnings) print_line(QStringLiteral("  warning:    %1").arg(warning));
            if (!o.dump.empty()) {
                QFile out(dump_path(o, path));
                if (!out.open(QIODevice::WriteOnly) || out.write(dump_text(doc)) < 0)
                    throw engine::Error("cannot write " + out.fileName().toStdString() + ": " + out.errorString().toStdString());
                print_line(QStringLiteral("  dumped to:  %1").arg(out.fileName()));
            }
        } catch (const ingest::IngestError& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            ++failures;
        }
    }
    if (failures > 0)
        throw engine::Error(std::to_string(failures) + " of " + std::to_string(o.files.size()) + " file(s) could not be read");
}

}  // namespace

void add_ingest_command(CLI::App& app) {
    auto options = std::make_shared<IngestCommandOptions>();
    auto* cmd = app.add_subcommand("ingest", "Read PDF, text or Markdown files into pages of clean text");
    cmd->add_option("files", options->files, "Files to read");
    cmd->add_option("--dump", options->dump, "Write the extracted pages to this file (or folder, for several files)");
    cmd->add_option("--model,-m", options->model, "Count tokens for this GGUF model (default: the default model)");
    cmd->add_flag("--no-ocr", options->no_ocr, "Do not run OCR on pages without a text layer");
    cmd->add_option("--password", options->password, "Password for encrypted PDFs");
    cmd->add_flag("--bench", options->bench, "Write a text PDF and measure pages per second and peak memory");
    cmd->add_option("--bench-pages", options->bench_pages, "Pages in the benchmark PDF")->check(CLI::Range(1, 100000));
    cmd->callback([options] { run_ingest(*options); });
}

}  // namespace glimpse::cli
