#include "core/prompt_document_of.h"

#include "core/page_geometry.h"

namespace glimpse {
namespace {

// A page without text adds nothing to the prompt.
bool in_prompt(const ingest::Page& page) { return !page.text.trimmed().isEmpty(); }

}  // namespace

PromptDocument prompt_document_of(const ingest::Document& document) {
    PromptDocument d;
    d.title = document.title.toStdString();
    for (const auto& page : document.pages)
        if (in_prompt(page)) d.pages.push_back({page.number, page.text.toStdString()});
    return d;
}

store::StoredDocument stored_document_of(const std::string& path, const ingest::Document& document) {
    store::StoredDocument stored{path, prompt_document_of(document), {}};
    const auto geometry = page_geometry_of(document);
    bool any = false;
    for (size_t i = 0; i < document.pages.size(); ++i)
        if (in_prompt(document.pages[i])) {
            any = any || geometry[i].width > 0;
            stored.geometry.push_back(geometry[i]);
        }
    if (!any) stored.geometry.clear();
    return stored;
}

}  // namespace glimpse
