// The share of each document the cache keeps, on a synthetic cache whose kept positions
// are known: every head keeps about half of the first document's tokens and all of the
// second's, and counting is checked against a direct count.

#include "core/document_kept_share.h"

#include <QtTest/QtTest>

#include <random>

class TestDocumentKeptShare : public QObject {
    Q_OBJECT

private slots:
    void shares_match_a_direct_count() {
        std::mt19937 rng(std::random_device{}());
        const int64_t layers = 4, heads = 2, n = 600;
        std::vector<glimpse::TokenSource> sources;
        for (int64_t p = 0; p < n; ++p)   // template, document 0, document 1, question
            sources.push_back(p < 20 ? glimpse::TokenSource{-1, 0}
                              : p < 320 ? glimpse::TokenSource{0, 1}
                              : p < 560 ? glimpse::TokenSource{1, 1}
                                        : glimpse::TokenSource{-1, 0});
        engine::CompressedCache cache(layers, heads, 4, 1);
        std::vector<int32_t> tokens(size_t(n), 7);
        cache.add_tokens(tokens);
        double kept0 = 0;
        for (int64_t l = 0; l < layers; ++l)
            for (int64_t h = 0; h < heads; ++h)
                for (int32_t p = 0; p < n; ++p) {
                    const bool first = p >= 20 && p < 320;
                    if (first && rng() % 2) continue;
                    kept0 += first;
                    cache.head(l, h).positions.push_back(p);
                    cache.head(l, h).k.resize(cache.head(l, h).k.size() + 4);
                    cache.head(l, h).v.resize(cache.head(l, h).v.size() + 4);
                }
        const auto share = glimpse::document_kept_share(cache, sources, 3);
        QCOMPARE(share.size(), size_t{3});
        QVERIFY(std::abs(share[0] - kept0 / (300.0 * layers * heads)) < 1e-12);
        QVERIFY(share[0] > 0.3 && share[0] < 0.7);
        QCOMPARE(share[1], 1.0);
        QCOMPARE(share[2], 0.0);   // not read yet
    }

    void an_empty_cache_keeps_nothing() {
        const auto share = glimpse::document_kept_share(engine::CompressedCache(), {}, 2);
        QCOMPARE(share, std::vector<double>({0.0, 0.0}));
    }
};

QTEST_APPLESS_MAIN(TestDocumentKeptShare)
#include "test_document_kept_share.moc"
