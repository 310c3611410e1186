#include "core/document_kept_share.h"

namespace glimpse {

std::vector<double> document_kept_share(const engine::CompressedCache& cache, const std::vector<TokenSource>& sources,
                                        size_t n_documents) {
    std::vector<double> tokens(n_documents, 0.0), kept(n_documents, 0.0);
    auto document_at = [&](int64_t position) -> int32_t {
        return position >= 0 && position < int64_t(sources.size()) ? sources[size_t(position)].document : -1;
    };
    for (size_t p = 0; p < sources.size(); ++p)
        if (const int32_t d = sources[p].document; d >= 0 && size_t(d) < n_documents) tokens[size_t(d)] += 1.0;
    for (int64_t l = 0; l < cache.n_layers(); ++l)
        for (int64_t h = 0; h < cache.n_kv_heads(); ++h)
            for (const int32_t position : cache.head(l, h).positions)
                if (const int32_t d = document_at(position); d >= 0 && size_t(d) < n_documents) kept[size_t(d)] += 1.0;
    const double heads = double(cache.n_layers() * cache.n_kv_heads());
    std::vector<double> share(n_documents, 0.0);
    for (size_t d = 0; d < n_documents; ++d)
        if (tokens[d] > 0 && heads > 0) share[d] = kept[d] / (tokens[d] * heads);
    return share;
}

}  // namespace glimpse
