#pragma once
// How much of each document the compressed KV cache still holds: per document, its kept
// entries over every layer and KV head divided by its tokens times layers times heads. What
// the desktop app shows beside each document ("kept 27%").

#include "engine/session/compressed_cache.h"
#include "prompt/document_prompt.h"

#include <vector>

namespace glimpse {

// One share in [0, 1] per document index below `n_documents`; a document with no tokens in
// the cache gets 0. `sources` maps each cached position to its document (as
// Conversation::token_sources()).
std::vector<double> document_kept_share(const engine::CompressedCache& cache, const std::vector<TokenSource>& sources,
                                        size_t n_documents);

}  // namespace glimpse
