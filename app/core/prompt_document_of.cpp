#include "core/prompt_document_of.h"

namespace glimpse {

PromptDocument prompt_document_of(const ingest::Document& document) {
    PromptDocument d;
    d.title = document.title.toStdString();
    for (const auto& page : document.pages)
        if (!page.text.trimmed().isEmpty()) d.pages.push_back({page.number, page.text.toStdString()});
    return d;
}

}  // namespace glimpse
