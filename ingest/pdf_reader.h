#pragma once
// PDF files through Poppler: page by page, text in reading order, scanned pages through
// OCR, running headers dropped, wrapped lines and hyphenated words joined.

#include "ingest/read_document.h"
#include "ingest/source_file.h"

namespace ingest {

// Fills pages, title, author, warnings and OCR counts of `doc`. Memory stays bounded by the
// extracted text: Poppler pages and rendered images are released after each page.
void read_pdf(const SourceFile& file, const ReadOptions& options, const ProgressCallback& progress,
              const std::atomic<bool>* cancel, Document& doc);

}  // namespace ingest
