#pragma once
// What the prompt takes from a read document: its title and the pages that hold text; and
// what a session stores of it: those pages with their geometry.

#include "ingest/document.h"
#include "prompt/document_prompt.h"
#include "store/session_store.h"

#include <string>

namespace glimpse {

PromptDocument prompt_document_of(const ingest::Document& document);

// The prompt document with the geometry of its pages (none when no page has any); `path`
// is where it was read from.
store::StoredDocument stored_document_of(const std::string& path, const ingest::Document& document);

}  // namespace glimpse
