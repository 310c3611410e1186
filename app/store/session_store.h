#pragma once
// Sessions kept in one SQLite database: their documents (by content hash, pages of clean
// text), turns, and KV snapshots so a reopened session answers without re-reading.
//
// A KV snapshot is written in segments, each one layer per transaction and marked complete
// only when every layer is in; the next save after another turn appends a segment with
// only the entries the cache gained, never rewriting stored rows. Loading reassembles the
// engine::CompressedCache bit-exactly and verifies every checksum. A killed writer leaves
// an incomplete segment, ignored on load and cleaned on the next open.
//
// Location: $GLIMPSE_SESSIONS_DB when set, else sessions.sqlite in the per-user application
// data folder (QStandardPaths::AppDataLocation for "glimpse").

#include "core/page_geometry.h"
#include "engine/session/compressed_cache.h"
#include "prompt/document_prompt.h"
#include "store/sqlite_database.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glimpse::store {

// What a snapshot was made with; a snapshot is loaded only under the same identity.
struct SnapshotIdentity {
    std::string model_fingerprint;     // hex of engine::Model::fingerprint()
    std::string adapter_fingerprint;   // hex of the LookaheadKV adapter's bytes; empty without one
    std::string policy;
    int64_t budget = 0;
    int64_t cache_format = engine::CompressedCache::kFormatVersion;
    bool operator==(const SnapshotIdentity&) const = default;
};

// The first way `stored` differs from `current`, in words; empty when they are equal.
std::string identity_difference(const SnapshotIdentity& stored, const SnapshotIdentity& current);

struct StoredDocument {
    std::string path;                  // where it was read from
    PromptDocument document;
    std::vector<PageGeometry> geometry = {};  // one per page of `document`, or empty (none known)
};

struct SessionRecord {
    int64_t id = 0;
    std::string name;
    std::string title;
    int64_t created_at = 0;            // seconds since the epoch
    int64_t updated_at = 0;
    SnapshotIdentity identity;         // what the session was created with
    std::string sampling;              // key=value;... of the sampling settings
    std::string system_prompt;
    int64_t document_count = 0;
    int64_t turn_count = 0;
};

struct TurnRecord {
    std::string question;
    std::string answer;
    int64_t read_tokens = 0;
    int64_t answer_tokens = 0;
    double read_seconds = 0.0;
    double answer_seconds = 0.0;
    bool read_documents = false;
    std::string cited_pages;           // may be empty
    int64_t created_at = 0;
};

// What the conversation holds beside the cache, as far as the snapshot goes.
struct SnapshotState {
    std::string cache_text;
    std::vector<TokenSource> sources;
    int64_t first_turn = 0;            // the cache begins reading at this turn
    int64_t turns = 0;                 // turns [first_turn, turns) are in the cache
};

struct SnapshotSummary {
    SnapshotIdentity identity;
    int64_t segments = 0;              // complete ones
    int64_t tokens = 0;                // tokens the cache has read
    int64_t turns = 0;
    int64_t bytes = 0;                 // stored K/V bytes (blobs)
    int64_t full_bytes = 0;            // every token of `tokens` kept, at the same element type
    std::string kv_format;
};

struct LoadedSnapshot {
    engine::CompressedCache cache;
    SnapshotState state;
    int64_t bytes = 0;
};

class SessionStore {
public:
    static std::filesystem::path default_path();

    // Opens (creating when missing) and migrates the database, then cleans what killed
    // writers left. Throws engine::Error: Io (cannot open, read-only, disk full), BadFile
    // (damaged, or not a Glimpse database), Invalid (made by a newer Glimpse).
    explicit SessionStore(const std::filesystem::path& path);

    std::vector<SessionRecord> sessions();
    std::optional<SessionRecord> find(const std::string& name);
    // Throws Invalid when the name is taken, or a document's geometry is not one per page.
    // A document already stored without geometry gets the geometry given here.
    SessionRecord create(const std::string& name, const std::string& title, const SnapshotIdentity& identity,
                         const std::string& sampling, const std::string& system_prompt,
                         const std::vector<StoredDocument>& documents);
    // A page whose stored geometry is damaged is returned without it (width 0); its text and
    // everything else load as stored.
    std::vector<StoredDocument> documents(int64_t session_id);
    std::vector<TurnRecord> turns(int64_t session_id);
    // Returns the turn's index.
    int64_t add_turn(int64_t session_id, const TurnRecord& turn);
    // A regenerated answer: the last turn's answer, its token count, time and cited pages
    // (its question and reading stay). Returns the turn's index; throws Invalid without turns.
    int64_t replace_last_answer(int64_t session_id, const TurnRecord& turn);
    void rename(const std::string& from, const std::string& to);
    // Replaces the session's documents (one added or removed); its snapshots, made from the
    // old documents, are dropped, and its turns are kept.
    void set_documents(int64_t session_id, const std::vector<StoredDocument>& documents);
    // Deletes the session, its turns and snapshots, and documents no other session uses.
    void remove(const std::string& name);

    // Saves `cache` and `state` as the session's snapshot. With `extend`, and the stored
    // snapshot a prefix of this one under the same identity, only the new entries are
    // written; otherwise a new snapshot replaces the old one once it is complete.
    void save_snapshot(int64_t session_id, const SnapshotIdentity& identity, const engine::CompressedCache& cache,
                       const SnapshotState& state, bool extend);
    std::optional<SnapshotSummary> snapshot_summary(int64_t session_id);
    // The session's latest complete snapshot, or nothing when there is none. Throws
    // engine::Error: WrongModel when it was made under another identity (the message says
    // how it differs), BadFile naming the session for damaged bytes. Nothing is deleted.
    std::optional<LoadedSnapshot> load_snapshot(const SessionRecord& session, const SnapshotIdentity& current,
                                                uint64_t model_fingerprint);

    SqliteDatabase& database() { return db_; }

private:
    void clean_incomplete();
    void link_documents(int64_t session_id, const std::vector<StoredDocument>& documents, int64_t added_at);

    SqliteDatabase db_;
};

}  // namespace glimpse::store
