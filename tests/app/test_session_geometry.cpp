// Page geometry in the session store: written with the pages and read back bit-exactly; a
// damaged blob costs only its page's geometry; a document stored before geometry existed
// gets it when it is added again.

#include "synthetic_cache.h"

#include "engine/error.h"
#include "store/page_geometry_blob.h"
#include "store/session_store.h"
#include "store/sqlite_statement.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <cstring>
#include <random>

using glimpse::PageGeometry;
using glimpse::store::SessionStore;
using glimpse::store::SqliteStatement;
using glimpse::store::StoredDocument;

namespace {

std::filesystem::path db_in(const QTemporaryDir& dir) { return std::filesystem::path(dir.path().toStdString()) / "g.sqlite"; }

// Fresh random boxes over each page's text, with floats of every magnitude a page has.
std::vector<PageGeometry> random_geometry(const StoredDocument& d, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> coordinate(0.0f, 1000.0f);
    std::vector<PageGeometry> pages;
    for (const auto& p : d.document.pages) {
        PageGeometry g{coordinate(rng) + 1, coordinate(rng) + 1, {}};
        const int bytes = int(p.text.size());
        for (int begin = 0; begin < bytes; begin += 3) {
            const float left = coordinate(rng), top = coordinate(rng);
            g.words.push_back({left, top, left + coordinate(rng) / 10, top + coordinate(rng) / 100, begin,
                               std::min(bytes, begin + 2)});
        }
        pages.push_back(std::move(g));
    }
    return pages;
}

bool bit_equal(const std::vector<PageGeometry>& a, const std::vector<PageGeometry>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::memcmp(&a[i].width, &b[i].width, 4) || std::memcmp(&a[i].height, &b[i].height, 4)) return false;
        if (a[i].words.size() != b[i].words.size()) return false;
        for (size_t w = 0; w < a[i].words.size(); ++w)
            if (std::memcmp(&a[i].words[w], &b[i].words[w], sizeof(glimpse::WordBox))) return false;
    }
    return true;
}

StoredDocument document_with_geometry(uint32_t seed) {
    auto d = synthetic::documents().front();
    d.geometry = random_geometry(d, seed);
    return d;
}

void set_blob(SessionStore& store, const char* column, int page_index, const std::vector<uint8_t>& bytes) {
    SqliteStatement s(store.database(), std::string("UPDATE document_pages SET ") + column + " = ? WHERE page_index = ?");
    s.bind_blob(1, bytes).bind(2, page_index).run();
}

}  // namespace

class SessionGeometryTest : public QObject {
    Q_OBJECT

private slots:
    void geometryRoundTripsBitExactly() {
        QTemporaryDir dir;
        const auto doc = document_with_geometry(std::random_device{}());
        {
            SessionStore store(db_in(dir));
            store.create("s", "Report", synthetic::identity(), "", "", {doc});
        }
        SessionStore reopened(db_in(dir));
        const auto docs = reopened.documents(reopened.find("s")->id);
        QCOMPARE(docs.size(), size_t(1));
        QVERIFY(bit_equal(docs[0].geometry, doc.geometry));
        QCOMPARE(docs[0].document.pages.size(), doc.document.pages.size());
    }

    void documentsWithoutGeometryReadBackWithout() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const auto s = store.create("s", "Report", synthetic::identity(), "", "", synthetic::documents());
        QVERIFY(store.documents(s.id).at(0).geometry.empty());
        SqliteStatement nulls(store.database(), "SELECT count(*) FROM document_pages WHERE page_size IS NULL AND word_boxes IS NULL");
        QVERIFY(nulls.step());
        QCOMPARE(nulls.int64(0), int64_t(3));
    }

    void damagedBlobCostsOnlyItsPageGeometry() {
        QTemporaryDir dir;
        const auto doc = document_with_geometry(7);
        SessionStore store(db_in(dir));
        const auto s = store.create("s", "Report", synthetic::identity(), "", "", {doc});
        const auto good = glimpse::store::encode_word_boxes(doc.geometry[1]);
        auto check = [&](const char* what) {
            const auto docs = store.documents(s.id);
            QVERIFY2(docs.size() == 1, what);
            QCOMPARE(docs[0].document.pages.size(), size_t(3));   // every page's text is there
            QCOMPARE(docs[0].document.pages[1].text, doc.document.pages[1].text);
            QCOMPARE(docs[0].geometry.size(), size_t(3));
            QVERIFY2(docs[0].geometry[1] == PageGeometry{}, what);  // the damaged page has none
            QVERIFY2(bit_equal({docs[0].geometry[0], docs[0].geometry[2]}, {doc.geometry[0], doc.geometry[2]}), what);
        };
        auto damaged = good;
        damaged.resize(damaged.size() - 5);
        set_blob(store, "word_boxes", 1, damaged);
        check("truncated word boxes");
        damaged = good;
        damaged[0] = 9;
        set_blob(store, "word_boxes", 1, damaged);
        check("another format version");
        damaged = good;
        const int32_t past_the_text = 1 << 20;
        std::memcpy(damaged.data() + 8 + 20, &past_the_text, 4);  // the first word's end
        set_blob(store, "word_boxes", 1, damaged);
        check("a range past the page text");
        set_blob(store, "word_boxes", 1, {});
        check("an empty blob");
        set_blob(store, "word_boxes", 1, good);
        set_blob(store, "page_size", 1, {1, 2, 3});
        check("a short page size");
        QCOMPARE(store.turns(s.id).size(), size_t(0));
        QVERIFY(store.find("s"));
    }

    void documentStoredWithoutGeometryGetsItWhenAddedAgain() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        store.create("old", "Report", synthetic::identity(), "", "", synthetic::documents());
        const auto doc = document_with_geometry(11);
        const auto s = store.create("new", "Report", synthetic::identity(), "", "", {doc});
        QVERIFY(bit_equal(store.documents(s.id).at(0).geometry, doc.geometry));
        QVERIFY(bit_equal(store.documents(store.find("old")->id).at(0).geometry, doc.geometry));  // the same stored pages
    }

    void geometryNotOnePerPageIsRefused() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        auto doc = document_with_geometry(3);
        doc.geometry.pop_back();
        try {
            store.create("s", "Report", synthetic::identity(), "", "", {doc});
            QFAIL("created a session whose geometry misses a page");
        } catch (const engine::Error& e) {
            QCOMPARE(e.kind(), engine::ErrorKind::Invalid);
            QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("2 page geometries for 3 pages")), e.what());
        }
        QVERIFY(!store.find("s"));
    }
};

QTEST_GUILESS_MAIN(SessionGeometryTest)
#include "test_session_geometry.moc"
