#pragma once
// A stored session as a Markdown transcript: its documents, then every question and
// answer with the pages the answer refers to.

#include "store/session_store.h"

#include <string>
#include <vector>

namespace glimpse::store {

std::string session_transcript(const SessionRecord& session, const std::vector<StoredDocument>& documents,
                               const std::vector<TurnRecord>& turns);

// The pages an answer cites: its stored cited pages, else the "[p. N]" markers in its text.
std::vector<int> cited_pages(const TurnRecord& turn);

}  // namespace glimpse::store
