// A writer of turns and KV snapshots killed with SIGKILL at random points, many times:
// after every kill the database passes integrity_check and foreign_key_check, every turn
// and snapshot the writer reported committed is there and loads bit-exactly, and an
// incomplete segment is ignored and cleaned on the next open.

#include "synthetic_cache.h"
#include "test_support.h"

#include "store/session_store.h"
#include "store/sqlite_database.h"
#include "store/sqlite_statement.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include <random>
#include <signal.h>

using glimpse::store::SessionStore;
using glimpse::store::SqliteDatabase;
using glimpse::store::SqliteStatement;

class TestSessionCrash : public QObject {
    Q_OBJECT

private slots:
    void a_killed_writer_never_loses_committed_turns_or_snapshots() {
        QTemporaryDir dir;
        const auto db = std::filesystem::path(dir.path().toStdString()) / "crash.sqlite";
        std::mt19937 rng(20240611);
        std::map<std::string, int64_t> committed;   // per session: turns the writer reported
        int kills = 0, incomplete_seen = 0, snapshots_checked = 0;
        QElapsedTimer clock;
        clock.start();
        while (kills < 50 || (clock.elapsed() < 20000 && kills < 200)) {
            if (clock.elapsed() > 60000 && kills >= 50) break;
            const std::string name = "s" + std::to_string(kills % 4);
            QProcess writer;
            writer.start(SESSION_STORE_WRITER, {QString::fromStdString(db.string()), QString::fromStdString(name), "60"});
            QVERIFY(writer.waitForStarted());
            const int wait_ms = std::uniform_int_distribution<int>(5, 400)(rng);
            if (writer.waitForFinished(wait_ms)) {
                QVERIFY2(writer.exitCode() == 0, writer.readAllStandardError().constData());
            } else {
                ::kill(static_cast<pid_t>(writer.processId()), SIGKILL);
                writer.waitForFinished();
                ++kills;
            }
            for (const auto& line : QString(writer.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts))
                committed[name] = std::max<int64_t>(committed[name], line.section(' ', 1).toLongLong() + 1);
            {
                SqliteDatabase raw(db);
                incomplete_seen += raw.query_int("SELECT count(*) FROM kv_segments WHERE complete = 0") > 0;
            }

            SessionStore store(db);
            SqliteStatement integrity(store.database(), "PRAGMA integrity_check");
            QVERIFY(integrity.step());
            QCOMPARE(integrity.text(0), std::string("ok"));
            SqliteStatement fk(store.database(), "PRAGMA foreign_key_check");
            QVERIFY(!fk.step());
            QCOMPARE(store.database().query_int("SELECT count(*) FROM kv_segments WHERE complete = 0"), int64_t{0});
            // The session just written is checked in full after every kill.
            for (const auto& [session_name, turns_done] : committed) {
                if (session_name != name) continue;
                const auto session = store.find(session_name);
                QVERIFY(session.has_value());
                const auto turns = store.turns(session->id);
                QVERIFY2(static_cast<int64_t>(turns.size()) >= turns_done, session_name.c_str());
                for (size_t t = 0; t < turns.size(); ++t) QCOMPARE(turns[t].question, synthetic::turn(t).question);
                const auto snap = store.load_snapshot(*session, synthetic::identity(), synthetic::kFingerprint);
                if (turns_done > 0) QVERIFY(snap.has_value());
                if (snap) {
                    QVERIFY(snap->state.turns >= turns_done && snap->state.turns <= static_cast<int64_t>(turns.size()));
                    QVERIFY(snap->cache == synthetic::cache_after(snap->state.turns));
                    QCOMPARE(snap->state.cache_text, synthetic::state_after(snap->state.turns).cache_text);
                    ++snapshots_checked;
                }
            }
        }
        qInfo("%d kills in %.1f s; %d times an incomplete segment was left and cleaned; %d snapshots loaded and compared",
              kills, clock.elapsed() / 1000.0, incomplete_seen, snapshots_checked);
        QVERIFY(kills >= 50);
        QVERIFY(incomplete_seen > 0);   // the kills did land mid-snapshot
    }
};

QTEST_GUILESS_MAIN(TestSessionCrash)
#include "test_session_crash.moc"
