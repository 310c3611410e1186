// The session store on real SQLite files: schema versions and refusals, sessions and
// turns, KV snapshots that load bit-exactly and grow by segments without rewriting stored
// rows, and every bad input (read-only, newer, damaged file, damaged blob, full disk) as an
// error a person can act on, with nothing lost.

#include "synthetic_cache.h"
#include "test_support.h"

#include "store/session_store.h"
#include "store/session_transcript.h"
#include "store/sqlite_database.h"
#include "store/sqlite_statement.h"
#include "store/store_schema.h"

#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <filesystem>
#include <fstream>
#include <random>

using glimpse::store::SessionStore;
using glimpse::store::SqliteDatabase;
using glimpse::store::SqliteStatement;

namespace {

engine::ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const engine::Error& e) {
        return e.kind();
    }
    return static_cast<engine::ErrorKind>(-1);
}

std::filesystem::path db_in(const QTemporaryDir& dir) { return std::filesystem::path(dir.path().toStdString()) / "s.sqlite"; }

// A session with `turns` turns and its snapshot saved after each.
int64_t session_with_turns(SessionStore& store, const std::string& name, int64_t turns) {
    auto s = store.create(name, "Report", synthetic::identity(), "temperature=0", "", synthetic::documents());
    for (int64_t t = 0; t < turns; ++t) {
        store.add_turn(s.id, synthetic::turn(t));
        store.save_snapshot(s.id, synthetic::identity(), synthetic::cache_after(t + 1), synthetic::state_after(t + 1), true);
    }
    return s.id;
}

std::vector<std::pair<int64_t, int64_t>> layer_rows(SqliteDatabase& db) {   // (segment, checksum) per row
    SqliteStatement s(db, "SELECT segment, checksum FROM kv_layers ORDER BY segment, layer");
    std::vector<std::pair<int64_t, int64_t>> out;
    while (s.step()) out.emplace_back(s.int64(0), s.int64(1));
    return out;
}

}  // namespace

class TestSessionStore : public QObject {
    Q_OBJECT

private slots:
    void a_database_of_every_earlier_version_migrates_to_the_latest() {
        for (int64_t v = 0; v < glimpse::store::latest_schema_version(); ++v) {
            QTemporaryDir dir;
            {
                SqliteDatabase db(db_in(dir));
                glimpse::store::migrate(db, v);
                QCOMPARE(db.query_int("PRAGMA user_version"), v);
            }
            SessionStore store(db_in(dir));
            QCOMPARE(store.database().query_int("PRAGMA user_version"), glimpse::store::latest_schema_version());
            QCOMPARE(store.database().query_int("PRAGMA application_id"), glimpse::store::kApplicationId);
            QCOMPARE(store.database().query_int("PRAGMA foreign_keys"), int64_t{1});
            QVERIFY(store.database().query_int("PRAGMA busy_timeout") > 0);
            // Version 2's column, with its default for snapshots written before it.
            QCOMPARE(store.database().query_int("SELECT count(*) FROM pragma_table_info('kv_snapshots') "
                                                "WHERE name = 'position_shift'"), int64_t{1});
        }
        // Reopened at the latest version: nothing to do, the data is there.
        QTemporaryDir dir;
        { SessionStore(db_in(dir)).create("a", "A", synthetic::identity(), "", "", synthetic::documents()); }
        SessionStore again(db_in(dir));
        QVERIFY(again.find("a").has_value());
    }

    void a_newer_or_foreign_database_is_refused_with_a_clear_message() {
        QTemporaryDir dir;
        {
            SessionStore store(db_in(dir));
            store.database().execute("PRAGMA user_version = 99");
        }
        QString msg = test_support::error_of([&] { SessionStore s(db_in(dir)); });
        QVERIFY2(msg.contains("made by a newer Glimpse") && msg.contains("s.sqlite"), qPrintable(msg));
        QCOMPARE(kind_of([&] { SessionStore s(db_in(dir)); }), engine::ErrorKind::Invalid);

        QTemporaryDir other;
        {
            SqliteDatabase db(db_in(other));
            db.execute("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine')");
        }
        msg = test_support::error_of([&] { SessionStore s(db_in(other)); });
        QVERIFY2(msg.contains("not a Glimpse session database"), qPrintable(msg));
        {
            SqliteDatabase db(db_in(other));
            QCOMPARE(db.query_int("SELECT count(*) FROM notes"), int64_t{1});   // left alone
            db.execute("PRAGMA application_id = 1234");
        }
        QCOMPARE(kind_of([&] { SessionStore s(db_in(other)); }), engine::ErrorKind::BadFile);
    }

    void sessions_documents_and_turns_round_trip() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const int64_t id = session_with_turns(store, "report", 2);
        QVERIFY(!test_support::error_of([&] {
                     store.create("report", "x", synthetic::identity(), "", "", {});
                 }).isEmpty());
        const auto docs = store.documents(id);
        QCOMPARE(docs.size(), size_t{1});
        QCOMPARE(docs[0].document.pages.size(), size_t{3});
        QCOMPARE(docs[0].document.pages[1].text, std::string("Second page."));
        const auto turns = store.turns(id);
        QCOMPARE(turns.size(), size_t{2});
        QCOMPARE(turns[1].question, std::string("question 1"));
        // A second session with the same document shares its row.
        store.create("again", "Report", synthetic::identity(), "", "", synthetic::documents());
        QCOMPARE(store.database().query_int("SELECT count(*) FROM documents"), int64_t{1});

        const auto md = glimpse::store::session_transcript(*store.find("report"), docs, turns);
        QVERIFY(md.find("## 2. question 1") != std::string::npos);
        QVERIFY(md.find("*Pages: p. 2*") != std::string::npos);

        store.rename("report", "renamed");
        QVERIFY(!store.find("report") && store.find("renamed"));
        QVERIFY(!test_support::error_of([&] { store.rename("renamed", "again"); }).isEmpty());
        store.remove("renamed");
        QCOMPARE(store.database().query_int("SELECT count(*) FROM turns"), int64_t{0});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_layers"), int64_t{0});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM documents"), int64_t{1});   // "again" uses it
        store.remove("again");
        QCOMPARE(store.database().query_int("SELECT count(*) FROM document_pages"), int64_t{0});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_snapshots"), int64_t{0});
    }

    void a_sessions_documents_are_replaced_and_its_snapshot_dropped() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const int64_t id = session_with_turns(store, "s", 2);
        auto listed = store.sessions();
        QCOMPARE(listed.front().document_count, int64_t{1});
        QCOMPARE(listed.front().turn_count, int64_t{2});
        QVERIFY(store.snapshot_summary(id).has_value());

        auto docs = synthetic::documents();
        glimpse::store::StoredDocument notes{"/tmp/notes.txt", {"Notes", {{1, "A note."}}}};
        docs.push_back(notes);
        store.set_documents(id, docs);
        QCOMPARE(store.documents(id).size(), size_t{2});
        QCOMPARE(store.documents(id)[1].document.pages[0].text, std::string("A note."));
        QVERIFY(!store.snapshot_summary(id).has_value());   // it read the old documents
        QVERIFY(!store.load_snapshot(*store.find("s"), synthetic::identity(), synthetic::kFingerprint));
        QCOMPARE(store.turns(id).size(), size_t{2});          // the turns stay
        QCOMPARE(store.sessions().front().document_count, int64_t{2});

        glimpse::store::TurnRecord better;
        better.answer = "a better answer";
        better.answer_tokens = 4;
        better.cited_pages = "0:1";
        QCOMPARE(store.replace_last_answer(id, better), int64_t{1});
        QCOMPARE(store.turns(id).size(), size_t{2});
        QCOMPARE(store.turns(id)[1].answer, std::string("a better answer"));
        QCOMPARE(store.turns(id)[1].question, std::string("question 1"));   // the question stays
        QCOMPARE(store.turns(id)[0].answer, synthetic::turn(0).answer);
        const auto empty = store.create("empty", "x", synthetic::identity(), "", "", {});
        QCOMPARE(kind_of([&] { store.replace_last_answer(empty.id, better); }), engine::ErrorKind::Invalid);

        store.set_documents(id, {notes});   // the report is removed, and no session uses it now
        QCOMPARE(store.documents(id).size(), size_t{1});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM documents"), int64_t{1});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_layers"), int64_t{0});
    }

    void a_snapshot_loads_bit_exactly_and_grows_without_rewriting_stored_rows() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const int64_t id = session_with_turns(store, "s", 1);
        const auto first_rows = layer_rows(store.database());
        QCOMPARE(static_cast<int64_t>(first_rows.size()), synthetic::kLayers);
        const auto session = *store.find("s");
        auto loaded = store.load_snapshot(session, synthetic::identity(), synthetic::kFingerprint);
        QVERIFY(loaded.has_value());
        QVERIFY(loaded->cache == synthetic::cache_after(1));
        QCOMPARE(loaded->state.sources.size(), synthetic::state_after(1).sources.size());
        QCOMPARE(loaded->state.cache_text, synthetic::state_after(1).cache_text);

        for (int64_t t = 1; t < 4; ++t) {
            store.add_turn(id, synthetic::turn(t));
            store.save_snapshot(id, synthetic::identity(), synthetic::cache_after(t + 1), synthetic::state_after(t + 1), true);
        }
        const auto rows = layer_rows(store.database());
        QCOMPARE(static_cast<int64_t>(rows.size()), 4 * synthetic::kLayers);
        // The first segment's rows are the very rows first written.
        QVERIFY(std::equal(first_rows.begin(), first_rows.end(), rows.begin()));
        const auto sum = store.snapshot_summary(id);
        QCOMPARE(sum->segments, int64_t{4});
        QCOMPARE(sum->tokens, synthetic::tokens_after(4));
        // A later segment holds only the new entries: 40 tokens x 30 layers x 3 heads.
        SqliteStatement seg(store.database(), "SELECT sum(length(data)) FROM kv_layers WHERE segment = 3");
        seg.step();
        QCOMPARE(seg.int64(0), synthetic::kLayers * synthetic::kHeads * (4 + synthetic::kTurnTokens * (4 + 2 * 64 * 4)));
        QVERIFY(sum->bytes < sum->full_bytes);
        loaded = store.load_snapshot(session, synthetic::identity(), synthetic::kFingerprint);
        QVERIFY(loaded->cache == synthetic::cache_after(4));
        QCOMPARE(loaded->state.turns, int64_t{4});
        QCOMPARE(loaded->bytes, sum->bytes);

        // Not a prefix (the cache was read again): a fresh snapshot replaces the old one.
        auto other = synthetic::cache_after(2);
        float row[synthetic::kHeadDim];
        other.head(0, 0).k.decode(0, 1, row);
        row[0] += 1.0f;
        other.head(0, 0).k.set(0, row);
        auto other_state = synthetic::state_after(2);
        other_state.first_turn = 3;
        store.save_snapshot(id, synthetic::identity(), other, other_state, true);
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_snapshots"), int64_t{1});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_segments"), int64_t{1});
        QVERIFY(store.load_snapshot(session, synthetic::identity(), synthetic::kFingerprint)->cache == other);
    }

    void a_snapshot_keeps_its_element_type_data() {
        QTest::addColumn<QString>("kv_type");
        QTest::newRow("f16") << "f16";
        QTest::newRow("q8_0") << "q8_0";
    }
    void a_snapshot_keeps_its_element_type() {
        QFETCH(QString, kv_type);
        const engine::GgmlType type = engine::parse_kv_type(kv_type.toStdString());
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        auto s = store.create("typed", "Report", synthetic::identity(), "temperature=0", "", synthetic::documents());
        store.add_turn(s.id, synthetic::turn(0));
        store.save_snapshot(s.id, synthetic::identity(), synthetic::cache_after(1, type), synthetic::state_after(1), true);
        store.add_turn(s.id, synthetic::turn(1));
        store.save_snapshot(s.id, synthetic::identity(), synthetic::cache_after(2, type), synthetic::state_after(2), true);

        const auto sum = store.snapshot_summary(s.id);
        QCOMPARE(sum->kv_format, kv_type.toStdString());
        QCOMPARE(sum->segments, int64_t{2});   // the second save only appended
        // The appended segment holds the new entries at the type's own row size.
        const int64_t row = engine::kv_row_bytes(type, synthetic::kHeadDim);
        SqliteStatement seg(store.database(), "SELECT sum(length(data)) FROM kv_layers WHERE segment = 1");
        seg.step();
        QCOMPARE(seg.int64(0), synthetic::kLayers * synthetic::kHeads * (4 + synthetic::kTurnTokens * (4 + 2 * row)));
        QCOMPARE(sum->full_bytes, synthetic::tokens_after(2) * synthetic::kLayers * synthetic::kHeads * 2 * row);
        const auto loaded = store.load_snapshot(*store.find("typed"), synthetic::identity(), synthetic::kFingerprint);
        QVERIFY(loaded->cache == synthetic::cache_after(2, type));
        QCOMPARE(loaded->cache.kv_type(), type);

        // A cache of another type is not an extension: it replaces the snapshot.
        store.add_turn(s.id, synthetic::turn(2));
        store.save_snapshot(s.id, synthetic::identity(), synthetic::cache_after(3), synthetic::state_after(3), true);
        QCOMPARE(store.snapshot_summary(s.id)->kv_format, std::string("f32"));
        QCOMPARE(store.snapshot_summary(s.id)->segments, int64_t{1});
        QVERIFY(store.load_snapshot(*store.find("typed"), synthetic::identity(), synthetic::kFingerprint)->cache ==
                synthetic::cache_after(3));
    }

    void a_cache_read_in_windows_keeps_its_position_shift() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        auto s = store.create("w", "Report", synthetic::identity(), "", "", synthetic::documents());
        auto first = synthetic::cache_after(1);
        first.set_position_shift(4321);
        store.add_turn(s.id, synthetic::turn(0));
        store.save_snapshot(s.id, synthetic::identity(), first, synthetic::state_after(1), true);
        auto loaded = store.load_snapshot(*store.find("w"), synthetic::identity(), synthetic::kFingerprint);
        QCOMPARE(loaded->cache.position_shift(), int64_t{4321});
        QVERIFY(loaded->cache == first);
        // The next turn extends it under the same shift...
        auto second = synthetic::cache_after(2);
        second.set_position_shift(4321);
        store.add_turn(s.id, synthetic::turn(1));
        store.save_snapshot(s.id, synthetic::identity(), second, synthetic::state_after(2), true);
        QCOMPARE(store.snapshot_summary(s.id)->segments, int64_t{2});
        // ...and a cache compacted differently is a new snapshot, not an extension.
        second.set_position_shift(99);
        store.save_snapshot(s.id, synthetic::identity(), second, synthetic::state_after(2), true);
        QCOMPARE(store.snapshot_summary(s.id)->segments, int64_t{1});
        QCOMPARE(store.load_snapshot(*store.find("w"), synthetic::identity(), synthetic::kFingerprint)->cache.position_shift(),
                 int64_t{99});
    }

    void a_snapshot_of_another_identity_is_never_loaded() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        session_with_turns(store, "s", 1);
        const auto session = *store.find("s");
        auto id = synthetic::identity();
        id.model_fingerprint = "00000000000000aa";
        auto fail = [&](const glimpse::store::SnapshotIdentity& i, const char* says) {
            try {
                store.load_snapshot(session, i, synthetic::kFingerprint);
                QFAIL("another identity must not load");
            } catch (const engine::Error& e) {
                QCOMPARE(e.kind(), engine::ErrorKind::WrongModel);
                QVERIFY2(QString(e.what()).contains(says), e.what());
            }
        };
        fail(id, "another model");
        id = synthetic::identity();
        id.adapter_fingerprint = "1234";
        fail(id, "another LookaheadKV adapter");
        id = synthetic::identity();
        id.policy = "h2o";
        fail(id, "policy snapkv budget 512, now h2o");
        id = synthetic::identity();
        id.cache_format = 2;
        fail(id, "cache format");
    }

    void a_damaged_blob_fails_naming_the_session_and_nothing_is_deleted() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const int64_t id = session_with_turns(store, "damaged", 2);
        // Flip one byte in the middle of layer 7 of the second segment.
        store.database().execute("UPDATE kv_layers SET data = substr(data, 1, 1000) || "
                                 "CASE WHEN substr(data, 1001, 1) = x'00' THEN x'01' ELSE x'00' END || substr(data, 1002) "
                                 "WHERE segment = 1 AND layer = 7");
        const auto session = *store.find("damaged");
        try {
            store.load_snapshot(session, synthetic::identity(), synthetic::kFingerprint);
            QFAIL("a damaged blob must not load");
        } catch (const engine::Error& e) {
            QCOMPARE(e.kind(), engine::ErrorKind::BadFile);
            const QString msg = e.what();
            QVERIFY2(msg.contains("session \"damaged\"") && msg.contains("layer 7") && msg.contains("damaged"),
                     qPrintable(msg));
        }
        QCOMPARE(store.turns(id).size(), size_t{2});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_layers"), 2 * synthetic::kLayers);
        SessionStore reopened(db_in(dir));
        QCOMPARE(reopened.database().query_int("SELECT count(*) FROM kv_layers"), 2 * synthetic::kLayers);
    }

    void an_incomplete_segment_is_ignored_and_cleaned_on_the_next_open() {
        QTemporaryDir dir;
        int64_t id = 0;
        {
            SessionStore store(db_in(dir));
            id = session_with_turns(store, "s", 2);
            // What a writer killed half-way leaves: a segment with some layers, not complete.
            store.database().execute("INSERT INTO kv_segments (snapshot_id, segment, turns, tokens, cache_text, sources, "
                                     "complete, writer_pid) SELECT snapshot_id, 2, 3, x'', '', x'', 0, 999999999 "
                                     "FROM kv_segments LIMIT 1");
            store.database().execute("INSERT INTO kv_layers SELECT snapshot_id, 2, layer, data, checksum, entries "
                                     "FROM kv_layers WHERE segment = 1 AND layer < 5");
            auto loaded = store.load_snapshot(*store.find("s"), synthetic::identity(), synthetic::kFingerprint);
            QVERIFY(loaded->cache == synthetic::cache_after(2));
        }
        SessionStore store(db_in(dir));
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_segments"), int64_t{2});
        QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_layers"), 2 * synthetic::kLayers);
        QCOMPARE(store.database().query_int("PRAGMA foreign_key_check") , int64_t{0});
        store.add_turn(id, synthetic::turn(2));
        store.save_snapshot(id, synthetic::identity(), synthetic::cache_after(3), synthetic::state_after(3), true);
        QVERIFY(store.load_snapshot(*store.find("s"), synthetic::identity(), synthetic::kFingerprint)->cache ==
                synthetic::cache_after(3));
    }

    void a_read_only_database_is_an_io_error_naming_the_file() {
        QTemporaryDir dir;
        { session_with_turns(*std::make_unique<SessionStore>(db_in(dir)), "s", 1); }
        auto write_fails = [&](SessionStore& store) {
            try {
                store.create("t", "T", synthetic::identity(), "", "", {});
                QFAIL("writing a read-only database must fail");
            } catch (const engine::Error& e) {
                QCOMPARE(e.kind(), engine::ErrorKind::Io);
                QVERIFY2(QString(e.what()).contains("s.sqlite") && QString(e.what()).contains("read-only"), e.what());
            }
        };
        if (::geteuid() != 0) {
            const auto folder = std::filesystem::path(dir.path().toStdString());
            std::filesystem::permissions(db_in(dir), std::filesystem::perms::owner_read);
            std::filesystem::permissions(folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
            auto restore = qScopeGuard([&] { std::filesystem::permissions(folder, std::filesystem::perms::owner_all); });
            QVERIFY(kind_of([&] {
                        SessionStore store(db_in(dir));
                        store.create("t", "T", synthetic::identity(), "", "", {});
                    }) == engine::ErrorKind::Io);
        }
        // Root writes through permissions; the connection's own read-only switch stands in.
        SessionStore store(db_in(dir));
        store.database().execute("PRAGMA query_only = ON");
        write_fails(store);
        QCOMPARE(store.sessions().size(), size_t{1});
    }

    void a_damaged_database_file_is_a_bad_file_error() {
        QTemporaryDir dir;
        const auto path = db_in(dir);
        {
            std::ofstream f(path, std::ios::binary);
            std::mt19937 rng(7);
            for (int i = 0; i < 8192; ++i) f.put(static_cast<char>(rng()));
        }
        QString msg = test_support::error_of([&] { SessionStore s(path); });
        QVERIFY2(msg.contains("s.sqlite") && msg.contains("damaged"), qPrintable(msg));
        QCOMPARE(kind_of([&] { SessionStore s(path); }), engine::ErrorKind::BadFile);

        // A real database cut short.
        QTemporaryDir dir2;
        const auto p2 = db_in(dir2);
        {
            SessionStore store(p2);
            session_with_turns(store, "s", 2);
            store.database().execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        std::filesystem::resize_file(p2, std::filesystem::file_size(p2) / 3);
        const auto kind = kind_of([&] {
            SessionStore s(p2);
            s.load_snapshot(*s.find("s"), synthetic::identity(), synthetic::kFingerprint);
            s.database().execute("PRAGMA integrity_check");
            if (s.database().query_int("SELECT count(*) FROM kv_layers") != 2 * synthetic::kLayers)
                throw engine::Error(engine::ErrorKind::BadFile, "rows missing");
        });
        QCOMPARE(kind, engine::ErrorKind::BadFile);
    }

    void a_full_disk_is_an_io_error_and_earlier_data_stays() {
        QTemporaryDir dir;
        SessionStore store(db_in(dir));
        const int64_t id = session_with_turns(store, "s", 1);
        const int64_t pages = store.database().query_int("PRAGMA page_count");
        store.database().execute("PRAGMA max_page_count = " + std::to_string(pages + 50));
        store.add_turn(id, synthetic::turn(1));
        try {
            store.save_snapshot(id, synthetic::identity(), synthetic::cache_after(2), synthetic::state_after(2), true);
            store.add_turn(id, synthetic::turn(2));
            store.save_snapshot(id, synthetic::identity(), synthetic::cache_after(3), synthetic::state_after(3), true);
            QFAIL("a full database must fail");
        } catch (const engine::Error& e) {
            QCOMPARE(e.kind(), engine::ErrorKind::Io);
            QVERIFY2(QString(e.what()).contains("disk is full") && QString(e.what()).contains("s.sqlite"), e.what());
        }
        // The stored snapshot is whole and loads; the half-written segment is ignored.
        const auto loaded = store.load_snapshot(*store.find("s"), synthetic::identity(), synthetic::kFingerprint);
        QVERIFY(loaded.has_value());
        QVERIFY(loaded->cache == synthetic::cache_after(loaded->state.turns));
        QVERIFY(store.turns(id).size() >= 2);
        SqliteStatement check(store.database(), "PRAGMA integrity_check");
        QVERIFY(check.step());
        QCOMPARE(check.text(0), std::string("ok"));
    }
};

QTEST_GUILESS_MAIN(TestSessionStore)
#include "test_session_store.moc"
