#pragma once
// The natural-text filler for evaluation prompts: prose paragraphs tagged with the source
// document they came from (resources/eval/haystack.jsonl, built by
// scripts/make_haystack_corpus.py). Documents are split into TRAIN and EVAL by a hash of
// their name, so the two splits never share a document.

#include "app/eval/seeded_random.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace glimpse::eval {

struct HaystackParagraph {
    std::string source;  // the document, e.g. "debian-handbook/sect.apt-get.html"
    std::string text;
};

class HaystackCorpus {
public:
    // Reads one JSON object {"source": ..., "text": ...} per line; blank lines are skipped.
    static HaystackCorpus load(const std::filesystem::path& path);
    // Paragraphs keep their order within each document.
    static HaystackCorpus from_paragraphs(const std::vector<HaystackParagraph>& paragraphs);

    // Which split a document belongs to (about a quarter of documents are EVAL).
    static EvalSplit split_of(const std::string& document);

    // The documents of a split, sorted by name.
    const std::vector<std::string>& documents(EvalSplit split) const;
    // A document's paragraphs in their original order; throws for an unknown document.
    const std::vector<std::string>& paragraphs(const std::string& document) const;
    // Distinct lower-case words (4 to 12 ASCII letters) of a split's paragraphs, sorted.
    const std::vector<std::string>& words(EvalSplit split) const;

    size_t paragraph_count() const { return paragraph_count_; }

private:
    std::map<std::string, std::vector<std::string>> by_document_;
    std::vector<std::string> train_documents_, eval_documents_;
    std::vector<std::string> train_words_, eval_words_;
    size_t paragraph_count_ = 0;
};

}  // namespace glimpse::eval
