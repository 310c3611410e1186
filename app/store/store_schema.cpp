#include "store/store_schema.h"

#include "engine/error.h"
#include "store/sqlite_database.h"
#include "store/sqlite_transaction.h"

#include <string>
#include <vector>

namespace glimpse::store {
namespace {

// Migration i (1-based) takes a database from version i-1 to i. Never edit a released one:
// add the next.
const std::vector<const char*>& migrations() {
    static const std::vector<const char*> list = {
        // v1: documents, sessions, turns, KV snapshots.
        R"sql(
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    content_hash  TEXT NOT NULL UNIQUE,      -- SHA-256 of the title and pages text
    title         TEXT NOT NULL,
    path          TEXT NOT NULL,             -- where it was read from (may be gone now)
    added_at      INTEGER NOT NULL           -- seconds since the epoch
);
CREATE TABLE document_pages (
    document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page_index    INTEGER NOT NULL,
    number        INTEGER NOT NULL,          -- as the reader sees it
    text          TEXT NOT NULL,             -- clean text, UTF-8
    page_size     BLOB,                      -- when ingest has it: 2 x f32 points
    word_boxes    BLOB,                      -- when ingest has them
    PRIMARY KEY (document_id, page_index)
);
CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    title               TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    model_fingerprint   TEXT NOT NULL,
    adapter_fingerprint TEXT NOT NULL,       -- empty without a LookaheadKV adapter
    policy              TEXT NOT NULL,
    budget              INTEGER NOT NULL,
    sampling            TEXT NOT NULL,       -- key=value;... of the sampling settings
    system_prompt       TEXT NOT NULL,
    cache_format        INTEGER NOT NULL
);
CREATE TABLE session_documents (
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    document_id   INTEGER NOT NULL REFERENCES documents(id),
    PRIMARY KEY (session_id, position)
);
CREATE INDEX session_documents_by_document ON session_documents(document_id);
CREATE TABLE turns (
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    turn_index     INTEGER NOT NULL,         -- 0, 1, ...: a question and its answer
    question       TEXT NOT NULL,
    answer         TEXT NOT NULL,
    read_tokens    INTEGER NOT NULL,
    answer_tokens  INTEGER NOT NULL,
    read_seconds   REAL NOT NULL,
    answer_seconds REAL NOT NULL,
    read_documents INTEGER NOT NULL,         -- this turn read the documents
    cited_pages    TEXT NOT NULL DEFAULT '', -- pages the answer drew on, e.g. "0:3,0:4"
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (session_id, turn_index)
);
CREATE TABLE kv_snapshots (
    id                  INTEGER PRIMARY KEY,
    session_id          INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    model_fingerprint   TEXT NOT NULL,
    adapter_fingerprint TEXT NOT NULL,
    policy              TEXT NOT NULL,
    budget              INTEGER NOT NULL,
    cache_format        INTEGER NOT NULL,
    kv_format           TEXT NOT NULL,       -- element type of K and V: 'f32'
    n_layers            INTEGER NOT NULL,
    n_kv_heads          INTEGER NOT NULL,
    head_dim            INTEGER NOT NULL,
    first_turn          INTEGER NOT NULL,    -- the cache starts reading at this turn
    created_at          INTEGER NOT NULL
);
-- A new snapshot replaces the older ones of its session once its first segment is complete.
CREATE INDEX kv_snapshots_by_session ON kv_snapshots(session_id);
-- A snapshot grows by segments: segment s holds what the cache gained since segment s-1.
CREATE TABLE kv_segments (
    snapshot_id   INTEGER NOT NULL REFERENCES kv_snapshots(id) ON DELETE CASCADE,
    segment       INTEGER NOT NULL,
    turns         INTEGER NOT NULL,          -- turns the cache holds after this segment
    tokens        BLOB NOT NULL,             -- int32 tokens appended
    cache_text    TEXT NOT NULL,             -- rendered text appended
    sources       BLOB NOT NULL,             -- int32 (document, page) per appended token
    complete      INTEGER NOT NULL DEFAULT 0,-- 1 once every layer is in
    writer_pid    INTEGER NOT NULL,          -- an incomplete segment is cleaned once its writer is gone
    PRIMARY KEY (snapshot_id, segment)
);
CREATE TABLE kv_layers (
    snapshot_id   INTEGER NOT NULL,
    segment       INTEGER NOT NULL,
    layer         INTEGER NOT NULL,
    data          BLOB NOT NULL,             -- per KV head: count, positions, K, V appended
    checksum      INTEGER NOT NULL,          -- FNV-1a 64 of data
    entries       BLOB NOT NULL,             -- u32 per KV head: entries in data
    PRIMARY KEY (snapshot_id, segment, layer),
    FOREIGN KEY (snapshot_id, segment) REFERENCES kv_segments(snapshot_id, segment) ON DELETE CASCADE
);
)sql",
        // 2: a cache read in windows has its keys at compacted positions; the next token's
        // rotary position is its position minus this shift.
        R"sql(
ALTER TABLE kv_snapshots ADD COLUMN position_shift INTEGER NOT NULL DEFAULT 0;
)sql",
    };
    return list;
}

}  // namespace

int64_t latest_schema_version() { return static_cast<int64_t>(migrations().size()); }

void migrate(SqliteDatabase& db, int64_t target) {
    if (target < 0) target = latest_schema_version();
    const std::string where = "session database " + db.path().string();
    const int64_t app_id = db.query_int("PRAGMA application_id");
    int64_t version = db.query_int("PRAGMA user_version");
    if (app_id != kApplicationId) {
        const bool empty = app_id == 0 && version == 0 && db.query_int("SELECT count(*) FROM sqlite_master") == 0;
        if (!empty)
            throw engine::Error(engine::ErrorKind::BadFile,
                                where + ": not a Glimpse session database (application_id " + std::to_string(app_id) +
                                    "); point GLIMPSE_SESSIONS_DB at another file");
    }
    if (version > latest_schema_version())
        throw engine::Error(engine::ErrorKind::Invalid,
                            where + ": made by a newer Glimpse (schema version " + std::to_string(version) +
                                ", this build reads up to " + std::to_string(latest_schema_version()) +
                                "); update Glimpse to open it");
    while (version < target) {
        SqliteTransaction tx(db);
        db.execute(migrations()[static_cast<size_t>(version)]);
        ++version;
        db.execute("PRAGMA application_id = " + std::to_string(kApplicationId));
        db.execute("PRAGMA user_version = " + std::to_string(version));
        tx.commit();
    }
}

}  // namespace glimpse::store
