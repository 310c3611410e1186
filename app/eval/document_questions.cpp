#include "app/eval/document_questions.h"

#include "engine/error.h"

#include <nlohmann/json.hpp>

#include <fstream>

namespace glimpse::eval {

std::vector<DocumentQuestion> load_document_questions(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw engine::Error(path.string() + ": cannot be read", engine::ErrorKind::Io);
    const std::string where = path.string() + ": ";
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw engine::Error(where + "not valid JSON (" + e.what() + ")", engine::ErrorKind::BadFile);
    }
    if (!json.is_array() || json.empty())
        throw engine::Error(where + "expected a non-empty JSON list of {\"q\": question, \"a\": [answers]}",
                            engine::ErrorKind::BadFile);
    std::vector<DocumentQuestion> questions;
    for (size_t i = 0; i < json.size(); ++i) {
        const auto& entry = json[i];
        const std::string item = where + "entry " + std::to_string(i + 1) + ": ";
        if (!entry.is_object() || !entry.contains("q") || !entry["q"].is_string() || entry["q"].get<std::string>().empty())
            throw engine::Error(item + "needs \"q\", a non-empty question string", engine::ErrorKind::BadFile);
        if (!entry.contains("a") || !entry["a"].is_array() || entry["a"].empty())
            throw engine::Error(item + "needs \"a\", a non-empty list of accepted answers", engine::ErrorKind::BadFile);
        DocumentQuestion q;
        q.question = entry["q"].get<std::string>();
        for (const auto& a : entry["a"]) {
            if (!a.is_string() || a.get<std::string>().empty())
                throw engine::Error(item + "every accepted answer must be a non-empty string", engine::ErrorKind::BadFile);
            q.answers.push_back(a.get<std::string>());
        }
        questions.push_back(std::move(q));
    }
    return questions;
}

}  // namespace glimpse::eval
