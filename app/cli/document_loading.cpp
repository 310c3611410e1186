#include "cli/document_loading.h"

#include "engine/error.h"
#include "ingest/read_document.h"
#include "core/prompt_document_of.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <unistd.h>

namespace glimpse::cli {

void add_document_options(CLI::App* cmd, DocumentOptions& options) {
    cmd->add_option("--doc,-d", options.paths, "A document to read (repeat for several)")->check(CLI::ExistingFile);
    cmd->add_flag("!--no-ocr", options.ocr, "Do not run OCR on scanned pages");
    cmd->add_option("--password", options.password, "Password of an encrypted PDF");
}

std::vector<store::StoredDocument> load_documents(const DocumentOptions& options) {
    ingest::ReadOptions read;
    read.ocr = options.ocr;
    read.password = QByteArray::fromStdString(options.password);
    const bool tty = isatty(STDERR_FILENO);
    std::vector<store::StoredDocument> documents;
    for (const auto& path : options.paths) {
        auto progress = [&](const ingest::Progress& p) {
            if (tty) std::fprintf(stderr, "\rreading %s: page %d of %d%s", path.c_str(), p.page, p.page_count,
                                  p.ocr ? " (OCR)" : "");
        };
        ingest::Document doc;
        try {
            doc = ingest::read_document(QString::fromStdString(path), read, progress);
        } catch (const ingest::IngestError& e) {
            if (tty) std::fprintf(stderr, "\n");
            throw engine::Error(e.what());
        }
        if (tty) std::fprintf(stderr, "\r\033[K");
        for (const auto& w : doc.warnings) std::fprintf(stderr, "glimpse-cli: %s: %s\n", path.c_str(), qPrintable(w));
        documents.push_back(stored_document_of(path, doc));
    }
    return documents;
}

}  // namespace glimpse::cli
