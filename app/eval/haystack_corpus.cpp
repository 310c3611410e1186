#include "app/eval/haystack_corpus.h"

#include "engine/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace glimpse::eval {

using namespace engine;   // the harness is written against the engine's types

namespace {

// Whitespace-separated tokens that are plain words once trailing punctuation is removed.
void collect_words(const std::string& text, std::set<std::string>& words) {
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        size_t end = text.find(' ', i);
        if (end == std::string::npos) end = text.size();
        std::string word = text.substr(i, end - i);
        i = end;
        while (!word.empty() && std::string_view(",.;:!?").find(word.back()) != std::string_view::npos)
            word.pop_back();
        if (word.size() < 4 || word.size() > 12) continue;
        bool letters = true;
        for (char& c : word) {
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) letters = false;
            c = static_cast<char>(c | 0x20);
        }
        if (letters) words.insert(word);
    }
}

}  // namespace

EvalSplit HaystackCorpus::split_of(const std::string& document) {
    return mix_64(fnv1a_64(document)) % 4 == 0 ? EvalSplit::Eval : EvalSplit::Train;
}

HaystackCorpus HaystackCorpus::from_paragraphs(const std::vector<HaystackParagraph>& paragraphs) {
    HaystackCorpus corpus;
    for (const auto& paragraph : paragraphs) {
        if (paragraph.source.empty()) throw Error("haystack corpus: a paragraph has no source document");
        if (paragraph.text.empty()) continue;
        corpus.by_document_[paragraph.source].push_back(paragraph.text);
        ++corpus.paragraph_count_;
    }
    std::set<std::string> train_words, eval_words;
    for (const auto& [document, texts] : corpus.by_document_) {
        const bool eval = split_of(document) == EvalSplit::Eval;
        (eval ? corpus.eval_documents_ : corpus.train_documents_).push_back(document);
        for (const auto& text : texts) collect_words(text, eval ? eval_words : train_words);
    }
    corpus.train_words_.assign(train_words.begin(), train_words.end());
    corpus.eval_words_.assign(eval_words.begin(), eval_words.end());
    return corpus;
}

HaystackCorpus HaystackCorpus::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path.string() + ": cannot open the haystack corpus");
    std::vector<HaystackParagraph> paragraphs;
    std::string line;
    size_t line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = path.string() + ":" + std::to_string(line_number);
        nlohmann::json object;
        try {
            object = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& e) {
            throw Error(where + ": not a JSON object (" + e.what() + ")");
        }
        if (!object.is_object() || !object.contains("source") || !object.contains("text") ||
            !object["source"].is_string() || !object["text"].is_string())
            throw Error(where + ": expected {\"source\": string, \"text\": string}");
        paragraphs.push_back({object["source"].get<std::string>(), object["text"].get<std::string>()});
    }
    if (paragraphs.empty()) throw Error(path.string() + ": the haystack corpus has no paragraphs");
    return from_paragraphs(paragraphs);
}

const std::vector<std::string>& HaystackCorpus::documents(EvalSplit split) const {
    return split == EvalSplit::Eval ? eval_documents_ : train_documents_;
}

const std::vector<std::string>& HaystackCorpus::paragraphs(const std::string& document) const {
    auto it = by_document_.find(document);
    if (it == by_document_.end()) throw Error("haystack corpus: no document named " + document);
    return it->second;
}

const std::vector<std::string>& HaystackCorpus::words(EvalSplit split) const {
    return split == EvalSplit::Eval ? eval_words_ : train_words_;
}

}  // namespace glimpse::eval
