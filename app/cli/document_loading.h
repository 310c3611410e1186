#pragma once
// Reading the documents a question is about, with progress on the terminal.

#include "store/session_store.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace glimpse::cli {

struct DocumentOptions {
    std::vector<std::string> paths;
    bool ocr = true;
    std::string password;
};

// --doc, --no-ocr, --password.
void add_document_options(CLI::App* cmd, DocumentOptions& options);

// Reads every file (PDF, text, Markdown); warnings go to stderr. Throws engine::Error
// naming the file that could not be read.
std::vector<store::StoredDocument> load_documents(const DocumentOptions& options);

}  // namespace glimpse::cli
