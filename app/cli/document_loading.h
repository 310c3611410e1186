#pragma once
// Reading the documents a question is about, with progress on the terminal.

#include "ingest/document.h"
#include "prompt/document_prompt.h"

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
std::vector<ingest::Document> read_documents(const DocumentOptions& options);

// read_documents, as the prompt takes them.
std::vector<PromptDocument> load_documents(const DocumentOptions& options);

}  // namespace glimpse::cli
