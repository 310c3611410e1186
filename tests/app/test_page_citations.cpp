// Page citations from attention: a page scores by its best stretch of attended text, not by
// a lone spike or its length; passages cover the stretch, clamped to the page.

#include "core/page_citations.h"

#include <QtTest/QtTest>

#include <random>

namespace {

// One layer, one KV head holding every position, and the attention each received.
struct Fixture {
    engine::CompressedCache cache{1, 1, 4, 7};
    std::vector<std::vector<float>> attention{std::vector<float>{}};
    std::vector<glimpse::TokenSource> sources;
    std::vector<glimpse::PromptDocument> documents;

    void add(glimpse::TokenSource source, float received) {
        auto& head = cache.head(0, 0);
        head.positions.push_back(static_cast<int32_t>(sources.size()));
        head.k.resize(head.k.size() + 4);
        head.v.resize(head.v.size() + 4);
        attention[0].push_back(received);
        sources.push_back(source);
    }
};

}  // namespace

class TestPageCitations : public QObject {
    Q_OBJECT

private slots:
    void a_stretch_of_attended_text_outweighs_a_lone_spike() {
        std::mt19937_64 rng(std::random_device{}());
        std::uniform_real_distribution<float> noise(0.0f, 0.01f);
        Fixture f;
        f.documents = {{"doc", {{1, std::string(400, 'a')}, {2, std::string(400, 'b')}, {3, std::string(400, 'c')}}}};
        for (int i = 0; i < 5; ++i) f.add({-1, 0, -1}, 50.0f);   // template tokens: never a page
        f.add({0, 1, -1}, 80.0f);                                // page 1's marker: not its text
        for (int32_t t = 0; t < 100; ++t) f.add({0, 1, t * 4}, t == 30 ? 40.0f : noise(rng));   // a lone spike
        f.add({0, 2, -1}, 0.0f);
        for (int32_t t = 0; t < 100; ++t) f.add({0, 2, t * 4}, t >= 60 && t < 70 ? 3.0f : noise(rng));  // a stretch
        f.add({0, 3, -1}, 0.0f);
        for (int32_t t = 0; t < 100; ++t) f.add({0, 3, t * 4}, noise(rng));                     // nothing

        const auto cited = glimpse::cite_pages(f.attention, f.cache, f.sources, f.documents);
        QVERIFY(!cited.empty());
        QCOMPARE(cited.front().page, 2);
        QVERIFY(cited.front().share > 0.8);
        for (const auto& c : cited) QVERIFY(c.page != 3);   // below the minimum share
        QCOMPARE(cited.front().passages.size(), size_t{1});
        const auto r = cited.front().passages.front();
        QVERIFY(r.begin <= 240 && r.end >= 276);   // covers tokens 60..69 (bytes 240..279)
        QVERIFY(r.begin >= 0 && r.end <= 400);
    }

    void passages_stay_inside_the_page_and_no_attention_cites_nothing() {
        Fixture f;
        f.documents = {{"doc", {{1, std::string(20, 'x')}}}};
        for (int32_t t = 0; t < 10; ++t) f.add({0, 1, t * 2}, 1.0f);
        const auto cited = glimpse::cite_pages(f.attention, f.cache, f.sources, f.documents);
        QCOMPARE(cited.size(), size_t{1});
        for (const auto& r : cited.front().passages) QVERIFY(r.begin >= 0 && r.end <= 20 && r.begin < r.end);

        Fixture silent;
        silent.documents = f.documents;
        for (int32_t t = 0; t < 10; ++t) silent.add({0, 1, t * 2}, 0.0f);
        QVERIFY(glimpse::cite_pages(silent.attention, silent.cache, silent.sources, silent.documents).empty());
    }
};

QTEST_GUILESS_MAIN(TestPageCitations)
#include "test_page_citations.moc"
