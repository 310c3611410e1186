#pragma once
// What the prompt takes from a read document: its title and the pages that hold text.

#include "ingest/document.h"
#include "prompt/document_prompt.h"

namespace glimpse {

PromptDocument prompt_document_of(const ingest::Document& document);

}  // namespace glimpse
