// SessionStore's KV snapshots: segments written one layer per transaction, extended with
// only what the cache gained, reassembled and checked on load.

#include "engine/error.h"
#include "store/kv_layer_blob.h"
#include "store/session_store.h"
#include "store/sqlite_statement.h"
#include "store/sqlite_transaction.h"

#include <cerrno>
#include <cstring>
#include <csignal>
#include <ctime>
#include <unistd.h>

namespace glimpse::store {
namespace {

template <typename T>
std::vector<uint8_t> bytes_of(const T* data, size_t n) {
    const auto* p = reinterpret_cast<const uint8_t*>(data);
    return {p, p + n * sizeof(T)};
}

template <typename T>
void append_from(std::vector<T>& out, const std::vector<uint8_t>& bytes) {
    const size_t n = bytes.size() / sizeof(T);
    const size_t old = out.size();
    out.resize(old + n);
    if (n) std::memcpy(out.data() + old, bytes.data(), n * sizeof(T));
}

bool process_alive(int64_t pid) {
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// What is stored of one snapshot: its complete segments 0..n-1 and their running totals.
struct StoredSnapshot {
    int64_t id = 0;
    SnapshotIdentity identity;
    std::string kv_format;
    int64_t n_layers = 0, n_kv_heads = 0, head_dim = 0, first_turn = 0, position_shift = 0;
    int64_t segments = 0, turns = 0;
    std::vector<int32_t> tokens;
    std::string cache_text;
    std::vector<TokenSource> sources;
};

// The latest snapshot of a session whose first segment is complete, with its complete
// segments (contiguous from 0).
std::optional<StoredSnapshot> stored_snapshot(SqliteDatabase& db, int64_t session_id, bool with_contents) {
    SqliteStatement s(db,
                      "SELECT id, model_fingerprint, adapter_fingerprint, policy, budget, cache_format, kv_format, "
                      "n_layers, n_kv_heads, head_dim, first_turn, position_shift FROM kv_snapshots k WHERE session_id = ? AND EXISTS "
                      "(SELECT 1 FROM kv_segments g WHERE g.snapshot_id = k.id AND g.segment = 0 AND g.complete = 1) "
                      "ORDER BY id DESC LIMIT 1");
    s.bind(1, session_id);
    if (!s.step()) return std::nullopt;
    StoredSnapshot snap;
    snap.id = s.int64(0);
    snap.identity = {s.text(1), s.text(2), s.text(3), s.int64(4), s.int64(5)};
    snap.kv_format = s.text(6);
    snap.n_layers = s.int64(7);
    snap.n_kv_heads = s.int64(8);
    snap.head_dim = s.int64(9);
    snap.first_turn = s.int64(10);
    snap.position_shift = s.int64(11);
    SqliteStatement g(db, std::string("SELECT segment, turns, complete") +
                              (with_contents ? ", tokens, cache_text, sources" : ", length(tokens)") +
                              " FROM kv_segments WHERE snapshot_id = ? ORDER BY segment");
    g.bind(1, snap.id);
    while (g.step()) {
        if (g.int64(0) != snap.segments || g.int64(2) == 0) break;
        ++snap.segments;
        snap.turns = g.int64(1);
        if (with_contents) {
            append_from(snap.tokens, g.blob(3));
            snap.cache_text += g.text(4);
            std::vector<int32_t> pairs;
            append_from(pairs, g.blob(5));
            for (size_t i = 0; i + 1 < pairs.size(); i += 2) snap.sources.push_back({pairs[i], pairs[i + 1]});
        } else {
            snap.tokens.resize(snap.tokens.size() + static_cast<size_t>(g.int64(3) / 4));
        }
    }
    return snap;
}

// The element type a stored snapshot's rows have; throws for one this build does not read.
engine::GgmlType kv_type_of(const StoredSnapshot& snap, const std::string& session_name) {
    try {
        const engine::GgmlType type = engine::parse_kv_type(snap.kv_format);
        engine::check_kv_type(type, snap.head_dim);
        return type;
    } catch (const engine::Error&) {
        throw engine::Error(engine::ErrorKind::WrongModel, "session \"" + session_name + "\": the saved KV cache holds " +
                                                               snap.kv_format + " values, which this build does not read");
    }
}

int64_t row_bytes_of(const StoredSnapshot& snap) {
    try {
        return engine::kv_row_bytes(engine::parse_kv_type(snap.kv_format), snap.head_dim);
    } catch (const engine::Error&) {
        return snap.head_dim * 4;
    }
}

// Entries per (layer, head) stored in segments 0..segments-1.
std::vector<int64_t> stored_entries(SqliteDatabase& db, const StoredSnapshot& snap) {
    std::vector<int64_t> counts(static_cast<size_t>(snap.n_layers * snap.n_kv_heads), 0);
    SqliteStatement s(db, "SELECT layer, entries FROM kv_layers WHERE snapshot_id = ? AND segment < ?");
    s.bind(1, snap.id).bind(2, snap.segments);
    while (s.step()) {
        const int64_t layer = s.int64(0);
        std::vector<uint32_t> n;
        append_from(n, s.blob(1));
        for (size_t h = 0; h < n.size() && h < static_cast<size_t>(snap.n_kv_heads); ++h)
            counts[static_cast<size_t>(layer * snap.n_kv_heads) + h] += n[h];
    }
    return counts;
}

}  // namespace

void SessionStore::clean_incomplete() {
    SqliteStatement s(db_, "SELECT snapshot_id, segment, writer_pid FROM kv_segments WHERE complete = 0");
    std::vector<std::pair<int64_t, int64_t>> dead;
    while (s.step())
        if (!process_alive(s.int64(2)) || s.int64(2) == ::getpid()) dead.emplace_back(s.int64(0), s.int64(1));
    if (dead.empty()) return;
    SqliteTransaction tx(db_);
    SqliteStatement del(db_, "DELETE FROM kv_segments WHERE snapshot_id = ? AND segment = ? AND complete = 0");
    for (const auto& [snapshot, segment] : dead) {
        del.reset();
        del.bind(1, snapshot).bind(2, segment).run();
    }
    // A snapshot whose first segment never completed holds nothing usable.
    db_.execute("DELETE FROM kv_snapshots WHERE NOT EXISTS (SELECT 1 FROM kv_segments g WHERE g.snapshot_id = "
                "kv_snapshots.id)");
    tx.commit();
}

void SessionStore::save_snapshot(int64_t session_id, const SnapshotIdentity& identity,
                                 const engine::CompressedCache& cache, const SnapshotState& state, bool extend) {
    if (static_cast<int64_t>(state.sources.size()) != cache.next_position())
        throw engine::Error("a snapshot's token map (" + std::to_string(state.sources.size()) +
                            " tokens) must match its cache (" + std::to_string(cache.next_position()) + ")");
    const size_t heads = static_cast<size_t>(cache.n_layers() * cache.n_kv_heads());
    std::vector<int64_t> from(heads, 0);
    std::optional<StoredSnapshot> base;
    if (extend) base = stored_snapshot(db_, session_id, true);
    if (base) {
        bool prefix = base->identity == identity && base->kv_format == engine::kv_type_name(cache.kv_type()) &&
                      base->n_layers == cache.n_layers() &&
                      base->n_kv_heads == cache.n_kv_heads() && base->head_dim == cache.head_dim() &&
                      base->tokens.size() <= cache.tokens().size() &&
                      std::equal(base->tokens.begin(), base->tokens.end(), cache.tokens().begin()) &&
                      state.cache_text.compare(0, base->cache_text.size(), base->cache_text) == 0 &&
                      base->first_turn == state.first_turn && base->position_shift == cache.position_shift();
        if (prefix) {
            from = stored_entries(db_, *base);
            for (int64_t l = 0; l < cache.n_layers() && prefix; ++l)
                for (int64_t h = 0; h < cache.n_kv_heads() && prefix; ++h)
                    prefix = cache.head(l, h).size() >= from[static_cast<size_t>(l * cache.n_kv_heads() + h)];
        }
        if (!prefix) {
            base.reset();
            std::fill(from.begin(), from.end(), 0);
        }
    }
    const size_t token_from = base ? base->tokens.size() : 0;
    const size_t text_from = base ? base->cache_text.size() : 0;

    int64_t snapshot_id = 0, segment = 0;
    {
        SqliteTransaction tx(db_);
        if (base) {
            snapshot_id = base->id;
            segment = base->segments;
            // A segment past the complete ones is a leftover of a killed writer.
            SqliteStatement del(db_, "DELETE FROM kv_segments WHERE snapshot_id = ? AND segment >= ?");
            del.bind(1, snapshot_id).bind(2, segment).run();
        } else {
            SqliteStatement ins(db_,
                                "INSERT INTO kv_snapshots (session_id, model_fingerprint, adapter_fingerprint, policy, "
                                "budget, cache_format, kv_format, n_layers, n_kv_heads, head_dim, first_turn, created_at, "
                                "position_shift) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            ins.bind(1, session_id).bind(2, identity.model_fingerprint).bind(3, identity.adapter_fingerprint)
                .bind(4, identity.policy).bind(5, identity.budget).bind(6, identity.cache_format)
                .bind(7, engine::kv_type_name(cache.kv_type())).bind(8, cache.n_layers()).bind(9, cache.n_kv_heads())
                .bind(10, cache.head_dim()).bind(11, state.first_turn).bind(12, static_cast<int64_t>(std::time(nullptr)))
                .bind(13, cache.position_shift());
            ins.run();
            snapshot_id = db_.last_insert_rowid();
        }
        std::vector<int32_t> pairs;
        for (size_t i = token_from; i < state.sources.size(); ++i) {
            pairs.push_back(state.sources[i].document);
            pairs.push_back(state.sources[i].page);
        }
        SqliteStatement seg(db_,
                            "INSERT INTO kv_segments (snapshot_id, segment, turns, tokens, cache_text, sources, complete, "
                            "writer_pid) VALUES (?, ?, ?, ?, ?, ?, 0, ?)");
        seg.bind(1, snapshot_id).bind(2, segment).bind(3, state.turns)
            .bind_blob(4, bytes_of(cache.tokens().data() + token_from, cache.tokens().size() - token_from))
            .bind(5, std::string_view(state.cache_text).substr(text_from)).bind_blob(6, bytes_of(pairs.data(), pairs.size()))
            .bind(7, static_cast<int64_t>(::getpid()));
        seg.run();
        tx.commit();
    }
    // One layer per transaction: a kill loses at most the layer being written.
    for (int64_t l = 0; l < cache.n_layers(); ++l) {
        const std::span<const int64_t> layer_from(from.data() + l * cache.n_kv_heads(),
                                                  static_cast<size_t>(cache.n_kv_heads()));
        const auto blob = encode_kv_layer(cache, l, layer_from);
        std::vector<uint32_t> entries;
        for (int64_t h = 0; h < cache.n_kv_heads(); ++h)
            entries.push_back(static_cast<uint32_t>(cache.head(l, h).size() - layer_from[static_cast<size_t>(h)]));
        SqliteTransaction tx(db_);
        SqliteStatement ins(db_,
                            "INSERT INTO kv_layers (snapshot_id, segment, layer, data, checksum, entries) VALUES (?, ?, "
                            "?, ?, ?, ?)");
        ins.bind(1, snapshot_id).bind(2, segment).bind(3, l).bind_blob(4, blob)
            .bind(5, static_cast<int64_t>(fnv1a64(blob))).bind_blob(6, bytes_of(entries.data(), entries.size()));
        ins.run();
        tx.commit();
    }
    SqliteTransaction tx(db_);
    SqliteStatement done(db_, "UPDATE kv_segments SET complete = 1 WHERE snapshot_id = ? AND segment = ?");
    done.bind(1, snapshot_id).bind(2, segment).run();
    SqliteStatement older(db_, "DELETE FROM kv_snapshots WHERE session_id = ? AND id <> ?");
    older.bind(1, session_id).bind(2, snapshot_id).run();
    SqliteStatement touch(db_, "UPDATE sessions SET updated_at = ? WHERE id = ?");
    touch.bind(1, static_cast<int64_t>(std::time(nullptr))).bind(2, session_id).run();
    tx.commit();
}

std::optional<SnapshotSummary> SessionStore::snapshot_summary(int64_t session_id) {
    const auto snap = stored_snapshot(db_, session_id, false);
    if (!snap) return std::nullopt;
    SnapshotSummary sum;
    sum.identity = snap->identity;
    sum.segments = snap->segments;
    sum.tokens = static_cast<int64_t>(snap->tokens.size());
    sum.turns = snap->turns;
    sum.kv_format = snap->kv_format;
    SqliteStatement s(db_, "SELECT coalesce(sum(length(data)), 0) FROM kv_layers WHERE snapshot_id = ? AND segment < ?");
    s.bind(1, snap->id).bind(2, snap->segments);
    s.step();
    sum.bytes = s.int64(0);
    // What keeping every token at the snapshot's own element type would take.
    sum.full_bytes = sum.tokens * snap->n_layers * snap->n_kv_heads * 2 * row_bytes_of(*snap);
    return sum;
}

std::optional<LoadedSnapshot> SessionStore::load_snapshot(const SessionRecord& session, const SnapshotIdentity& current,
                                                          uint64_t model_fingerprint) {
    auto snap = stored_snapshot(db_, session.id, true);
    if (!snap) return std::nullopt;
    const std::string what = "session \"" + session.name + "\": KV snapshot in " + db_.path().string();
    if (const auto why = identity_difference(snap->identity, current); !why.empty())
        throw engine::Error(engine::ErrorKind::WrongModel, "session \"" + session.name + "\": the saved KV cache "
                                                               "cannot be used: " + why);
    LoadedSnapshot out;
    out.cache = engine::CompressedCache(snap->n_layers, snap->n_kv_heads, snap->head_dim, model_fingerprint,
                                        kv_type_of(*snap, session.name));
    out.cache.add_tokens(snap->tokens);
    out.cache.set_position_shift(snap->position_shift);
    SqliteStatement s(db_,
                      "SELECT segment, layer, data, checksum FROM kv_layers WHERE snapshot_id = ? AND segment < ? "
                      "ORDER BY layer, segment");
    s.bind(1, snap->id).bind(2, snap->segments);
    int64_t rows = 0;
    while (s.step()) {
        const int64_t segment = s.int64(0), layer = s.int64(1);
        const auto blob = s.blob(2);
        if (layer < 0 || layer >= snap->n_layers || layer * snap->segments + segment != rows)
            throw engine::Error(engine::ErrorKind::BadFile, what + ": layer " + std::to_string(layer) + " of segment " +
                                                                std::to_string(segment) + " is missing or out of place");
        if (static_cast<uint64_t>(s.int64(3)) != fnv1a64(blob))
            throw engine::Error(engine::ErrorKind::BadFile,
                                what + ": layer " + std::to_string(layer) + " of segment " + std::to_string(segment) +
                                    " is damaged (checksum mismatch); the session's turns are intact, its documents "
                                    "will be read again");
        decode_kv_layer(blob, out.cache, layer, what);
        out.bytes += static_cast<int64_t>(blob.size());
        ++rows;
    }
    if (rows != snap->n_layers * snap->segments)
        throw engine::Error(engine::ErrorKind::BadFile, what + ": holds " + std::to_string(rows) + " layer rows of " +
                                                            std::to_string(snap->n_layers * snap->segments));
    if (snap->sources.size() != snap->tokens.size())
        throw engine::Error(engine::ErrorKind::BadFile, what + ": maps " + std::to_string(snap->sources.size()) +
                                                            " tokens to pages but holds " +
                                                            std::to_string(snap->tokens.size()));
    out.state = {std::move(snap->cache_text), std::move(snap->sources), snap->first_turn, snap->turns};
    return out;
}

}  // namespace glimpse::store
