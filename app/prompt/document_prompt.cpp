#include "prompt/document_prompt.h"

#include "engine/error.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace glimpse {
namespace {

std::string page_marker(int number) { return "[p. " + std::to_string(number) + "]"; }

// Byte ranges of each page's text (marker included) inside the user message.
struct PageSpan {
    int32_t document;
    int32_t page;
    size_t begin;
    size_t end;
    size_t text_begin;   // where the page's own text starts, after its marker line
};

// What the user message puts before the question.
constexpr const char* kQuestionLabel = "Question: ";

// Where `rendered` last holds `start`, and its tokens from there on (special tokens parsed,
// no BOS: the continuation of a prompt); nothing when it does not hold it.
std::optional<std::pair<size_t, std::vector<int32_t>>> tail_from(const engine::Tokenizer& tokenizer, const std::string& rendered,
                                                                 const std::string& start) {
    const size_t cut = rendered.rfind(start);
    if (cut == std::string::npos || start.empty()) return std::nullopt;
    return std::pair{cut, tokenizer.encode(std::string_view(rendered).substr(cut), false, /*parse_special=*/true)};
}

std::string compose_message(const std::vector<PromptDocument>& documents, const std::string& question,
                            std::vector<PageSpan>* spans) {
    std::string m;
    if (documents.size() == 1)
        m += "Answer the question using the document below. Pages start with markers such as [p. 3]; "
             "cite the pages you used that way.\n\n";
    else
        m += "Answer the question using the documents below. Pages start with markers such as [p. 3]; "
             "cite the document and pages you used.\n\n";
    for (size_t d = 0; d < documents.size(); ++d) {
        const auto& doc = documents[d];
        m += "# Document " + std::to_string(d + 1) + (doc.title.empty() ? "" : ": " + doc.title) + "\n\n";
        for (const auto& page : doc.pages) {
            const size_t begin = m.size();
            m += page_marker(page.number) + "\n";
            const size_t text_begin = m.size();
            m += page.text;
            if (spans) spans->push_back({static_cast<int32_t>(d), page.number, begin, m.size(), text_begin});
            m += "\n\n";
        }
    }
    m += kQuestionLabel + question;
    return m;
}

}  // namespace

std::string document_message(const std::vector<PromptDocument>& documents, const std::string& question) {
    return compose_message(documents, question, nullptr);
}

std::vector<int32_t> tokenize_rendered(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                       const std::string& text) {
    return tokenizer.encode(text, tokenizer.adds_bos() && !chat.renders_bos(), /*parse_special=*/true);
}

QuestionSplit split_at_question(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                const std::string& rendered, const std::string& question_start) {
    auto tail = tail_from(tokenizer, rendered, question_start);
    if (!tail) throw engine::Error("the chat template changed the question text; cannot tell where the question starts");
    return {tokenize_rendered(tokenizer, chat, rendered.substr(0, tail->first)), std::move(tail->second)};
}

DocumentPrompt build_document_prompt(const engine::Tokenizer& tokenizer, const engine::ChatTemplate& chat,
                                     const std::vector<PromptDocument>& documents, const std::string& question,
                                     const std::string& system_prompt) {
    std::vector<PageSpan> spans;
    std::string message = compose_message(documents, question, &spans);
    std::vector<engine::ChatMessage> messages;
    if (!system_prompt.empty()) messages.push_back({"system", system_prompt});
    messages.push_back({"user", message});

    DocumentPrompt prompt;
    prompt.text = chat.render(messages, /*add_generation_prompt=*/true);
    prompt.tokens = tokenize_rendered(tokenizer, chat, prompt.text);
    if (auto tail = tail_from(tokenizer, prompt.text, kQuestionLabel + question)) prompt.question = std::move(tail->second);

    // Token byte offsets follow from the pieces: byte-level BPE pieces concatenate back to
    // the text exactly. Some templates trim the message, so locate it by its first page.
    prompt.sources.assign(prompt.tokens.size(), TokenSource{});
    size_t message_at = std::string::npos;
    if (!spans.empty()) {
        const std::string first_page = message.substr(spans.front().begin, spans.front().end - spans.front().begin);
        size_t found = prompt.text.find(first_page);
        if (found != std::string::npos) message_at = found - spans.front().begin;
    }
    if (message_at == std::string::npos) return prompt;
    size_t offset = 0;
    size_t span = 0;
    for (size_t i = 0; i < prompt.tokens.size(); ++i) {
        size_t local = offset >= message_at ? offset - message_at : std::string::npos;
        while (span < spans.size() && local != std::string::npos && local >= spans[span].end) ++span;
        if (span < spans.size() && local != std::string::npos && local >= spans[span].begin) {
            const auto& page = spans[span];
            const int32_t in_page = local >= page.text_begin ? static_cast<int32_t>(local - page.text_begin) : -1;
            prompt.sources[i] = {page.document, page.page, in_page};
            ++prompt.document_tokens;
        }
        offset += tokenizer.token_to_piece(prompt.tokens[i]).size();
    }
    return prompt;
}

}  // namespace glimpse
