#pragma once
// Plain text and Markdown files: decoded, cleaned, and cut into logical pages (at form
// feeds, else about every `text_page_chars` characters at paragraph boundaries) so that
// answers can cite a page here too.

#include "ingest/read_document.h"
#include "ingest/source_file.h"

#include <QStringList>

namespace ingest {

void read_text(const SourceFile& file, const ReadOptions& options, const ProgressCallback& progress,
               const std::atomic<bool>* cancel, Document& doc);

// Cuts `text` (without form feeds) into pieces of about `target` characters, preferring
// blank lines, then line ends, then spaces.
QStringList split_logical_pages(const QString& text, int target);

// The first level-1 ATX heading ("# Title"), outside code fences; empty if none.
QString markdown_title(const QString& text);

}  // namespace ingest
