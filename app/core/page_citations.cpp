#include "core/page_citations.h"

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

namespace glimpse {

std::vector<PageCitation> cite_pages(const std::vector<std::vector<float>>& cached_attention,
                                     const engine::CompressedCache& cache, const std::vector<TokenSource>& sources,
                                     const std::vector<PromptDocument>& documents, const CitationOptions& options) {
    // Attention per token position, over every layer and KV head that kept it.
    std::vector<double> by_position(sources.size(), 0.0);
    for (int64_t l = 0; l < cache.n_layers(); ++l)
        for (int64_t h = 0; h < cache.n_kv_heads(); ++h) {
            const auto index = static_cast<size_t>(l * cache.n_kv_heads() + h);
            if (index >= cached_attention.size()) continue;
            const auto& received = cached_attention[index];
            const auto& positions = cache.head(l, h).positions;
            for (size_t e = 0; e < received.size() && e < positions.size(); ++e) {
                const auto pos = static_cast<size_t>(positions[e]);
                if (pos < by_position.size()) by_position[pos] += received[e];
            }
        }

    std::map<std::pair<int32_t, int32_t>, std::vector<size_t>> page_tokens;
    double document_total = 0.0;
    // A page's marker ("[p. 3]") draws attention of its own when the model cites; only the
    // page's text counts.
    for (size_t pos = 0; pos < sources.size(); ++pos)
        if (sources[pos].document >= 0 && sources[pos].offset >= 0) {
            page_tokens[{sources[pos].document, sources[pos].page}].push_back(pos);
            document_total += by_position[pos];
        }
    if (document_total <= 0.0) return {};

    // What a token contributes is the attention of the stretch around it, less the stretch's
    // single strongest token: an answer draws on runs of text, while a few isolated tokens
    // (punctuation, line breaks) soak up attention whatever is asked ("attention sinks").
    std::map<size_t, double> stretch;   // position -> its stretch's score
    for (const auto& [key, tokens] : page_tokens)
        for (size_t i = 0; i < tokens.size(); ++i) {
            const size_t lo = i >= static_cast<size_t>(options.stretch_tokens) ? i - static_cast<size_t>(options.stretch_tokens) : 0;
            const size_t hi = std::min(tokens.size(), i + static_cast<size_t>(options.stretch_tokens) + 1);
            double sum = 0.0, strongest = 0.0;
            for (size_t j = lo; j < hi; ++j) {
                sum += by_position[tokens[j]];
                strongest = std::max(strongest, by_position[tokens[j]]);
            }
            stretch[tokens[i]] = sum - strongest;
        }

    // A page scores by its best stretch.
    std::vector<PageCitation> pages;
    double total_score = 0.0;
    for (const auto& [key, tokens] : page_tokens) {
        double best = 0.0;
        for (size_t pos : tokens) best = std::max(best, stretch[pos]);
        pages.push_back({key.first, key.second, best, {}});
        total_score += best;
    }
    if (total_score <= 0.0) return {};
    for (auto& page : pages) page.share /= total_score;
    std::stable_sort(pages.begin(), pages.end(), [](const auto& a, const auto& b) { return a.share > b.share; });
    std::erase_if(pages, [&](const PageCitation& p) { return p.share < options.min_share; });
    if (static_cast<int>(pages.size()) > options.max_pages) pages.resize(static_cast<size_t>(options.max_pages));

    for (auto& page : pages) {
        int32_t page_bytes = 0;
        if (page.document < static_cast<int32_t>(documents.size()))
            for (const auto& p : documents[static_cast<size_t>(page.document)].pages)
                if (p.number == page.page) page_bytes = static_cast<int32_t>(p.text.size());
        auto tokens = page_tokens[{page.document, page.page}];
        const auto seeds = std::min(tokens.size(), static_cast<size_t>(options.passage_tokens));
        std::partial_sort(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(seeds), tokens.end(),
                          [&](size_t a, size_t b) { return stretch[a] > stretch[b]; });
        std::vector<TextRange> ranges;
        for (size_t i = 0; i < seeds; ++i) {
            const int32_t at = sources[tokens[i]].offset;
            ranges.push_back({std::max(0, at - options.passage_margin), std::min(page_bytes, at + options.passage_margin)});
        }
        std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
        for (const TextRange& r : ranges) {
            if (!page.passages.empty() && r.begin <= page.passages.back().end)
                page.passages.back().end = std::max(page.passages.back().end, r.end);
            else
                page.passages.push_back(r);
        }
    }
    return pages;
}

}  // namespace glimpse
