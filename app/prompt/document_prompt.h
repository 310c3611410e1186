#pragma once
// Turning documents and a question into the model's prompt: the documents' pages with a
// marker before each ("[p. 12]") so the model can cite them, rendered through the model's
// chat template, tokenized, with the (document, page) of every token kept beside it.

#include "engine/chat/chat_template.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace glimpse {

struct PromptPage {
    int number = 0;      // as the reader sees it (1-based)
    std::string text;    // UTF-8
};

struct PromptDocument {
    std::string title;
    std::vector<PromptPage> pages;
};

// Where a prompt token came from: a page of a document, or the template and question.
struct TokenSource {
    int32_t document = -1;   // index into the documents, -1 for text outside them
    int32_t page = 0;        // page number within that document, 0 outside
    int32_t offset = -1;     // byte offset of the token's text in the page's text; -1 in the page marker
    bool operator==(const TokenSource&) const = default;
};

struct DocumentPrompt {
    std::string text;                       // the rendered prompt
    std::vector<int32_t> tokens;
    std::vector<TokenSource> sources;       // one per token
    int64_t document_tokens = 0;            // tokens that belong to some page
    // The prompt from its question on ("Question: ...", the template's end and generation
    // prompt), tokenized on its own: what a windowed reading reads after each window so that
    // every window keeps what the question needs. Empty if the template rewrote the question.
    std::vector<int32_t> question;
};

// The user message that carries the documents and the question.
std::string document_message(const std::vector<PromptDocument>& documents, const std::string& question);

// Renders [system?] + user(documents, question) with the generation prompt and tokenizes
// it, at any length: engine::Session reads a prompt past the context window in windows.
DocumentPrompt build_document_prompt(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                     const std::vector<PromptDocument>& documents, const std::string& question,
                                     const std::string& system_prompt);

// Tokenizes text rendered by `chat`, adding BOS only when the tokenizer wants one and the
// template did not already write it.
std::vector<int32_t> tokenize_rendered(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                       const std::string& text);

// A rendered prompt cut where its question starts (the last occurrence of `question_start`):
// the part read before the question is known, which a context-only reading compresses (as
// for a follow-up turn), and the rest, read after it. Throws engine::Error when the rendered
// text does not hold `question_start` (a template that rewrote it).
struct QuestionSplit {
    std::vector<int32_t> context;
    std::vector<int32_t> question;
};
QuestionSplit split_at_question(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                const std::string& rendered, const std::string& question_start);

}  // namespace glimpse
