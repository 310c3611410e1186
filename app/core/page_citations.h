#pragma once
// Which pages an answer drew on: the attention its tokens paid to every cached token
// (Session::cached_attention, summed over layers and KV heads), gathered per page through
// the prompt's token→page map; a page scores by its most attended stretch of text. The passages are the page's most attended stretches of
// text, as byte ranges of the page text, for highlighting.

#include "engine/session/compressed_cache.h"
#include "prompt/document_prompt.h"

#include <cstdint>
#include <vector>

namespace glimpse {

struct TextRange {
    int32_t begin = 0;   // byte offsets in the page's text
    int32_t end = 0;
    bool operator==(const TextRange&) const = default;
};

struct PageCitation {
    int32_t document = 0;
    int32_t page = 0;
    double share = 0.0;               // of the pages' best-stretch scores (page_citations.cpp)
    std::vector<TextRange> passages;  // in page order
};

struct CitationOptions {
    int max_pages = 3;
    double min_share = 0.10;          // pages below this share of the document attention are left out
    int stretch_tokens = 8;           // a token's stretch: this many tokens each side
    int passage_tokens = 12;          // the tokens of a page with the best stretches seed passages
    int32_t passage_margin = 40;      // bytes added each side of a seed token, ranges then merged
};

// Most-cited first. Empty when the answer paid the documents no attention.
std::vector<PageCitation> cite_pages(const std::vector<std::vector<float>>& cached_attention,
                                     const engine::CompressedCache& cache, const std::vector<TokenSource>& sources,
                                     const std::vector<PromptDocument>& documents, const CitationOptions& options = {});

}  // namespace glimpse
