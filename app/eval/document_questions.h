#pragma once
// The questions a person asks about their own document, to check a budget before trusting
// it (glimpse-cli eval --doc FILE --questions Q.json): a JSON list of
// {"q": "question", "a": ["accepted answer", ...]}.

#include <filesystem>
#include <string>
#include <vector>

namespace glimpse::eval {

struct DocumentQuestion {
    std::string question;
    std::vector<std::string> answers;   // the first is the one answer_nll scores
};

// Throws engine::Error naming the file and the entry that is not what it should be.
std::vector<DocumentQuestion> load_document_questions(const std::filesystem::path& path);

}  // namespace glimpse::eval
