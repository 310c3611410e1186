#include "store/session_store.h"

#include "engine/error.h"
#include "store/page_geometry_blob.h"
#include "store/sqlite_statement.h"
#include "store/sqlite_transaction.h"
#include "store/store_schema.h"

#include <QCryptographicHash>
#include <QDir>
#include <QStandardPaths>

#include <cstdlib>
#include <ctime>

namespace glimpse::store {
namespace {

int64_t now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string content_hash(const PromptDocument& d) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QByteArrayView(d.title.data(), static_cast<qsizetype>(d.title.size())));
    for (const auto& p : d.pages) {
        const std::string marker = "\n[p. " + std::to_string(p.number) + "]\n";
        h.addData(QByteArrayView(marker.data(), static_cast<qsizetype>(marker.size())));
        h.addData(QByteArrayView(p.text.data(), static_cast<qsizetype>(p.text.size())));
    }
    return h.result().toHex().toStdString();
}

SessionRecord session_of(const SqliteStatement& s) {
    SessionRecord r;
    r.id = s.int64(0);
    r.name = s.text(1);
    r.title = s.text(2);
    r.created_at = s.int64(3);
    r.updated_at = s.int64(4);
    r.identity = {s.text(5), s.text(6), s.text(7), s.int64(8), s.int64(9)};
    r.sampling = s.text(10);
    r.system_prompt = s.text(11);
    r.document_count = s.int64(12);
    r.turn_count = s.int64(13);
    return r;
}

constexpr const char* kSessionColumns =
    "SELECT id, name, title, created_at, updated_at, model_fingerprint, adapter_fingerprint, policy, budget, "
    "cache_format, sampling, system_prompt, "
    "(SELECT COUNT(*) FROM session_documents WHERE session_id = sessions.id), "
    "(SELECT COUNT(*) FROM turns WHERE session_id = sessions.id) FROM sessions ";

}  // namespace

std::string identity_difference(const SnapshotIdentity& stored, const SnapshotIdentity& current) {
    if (stored.model_fingerprint != current.model_fingerprint)
        return "it was made with another model (" + stored.model_fingerprint + ", now " + current.model_fingerprint + ")";
    if (stored.adapter_fingerprint != current.adapter_fingerprint)
        return "it was made with another LookaheadKV adapter (" +
               (stored.adapter_fingerprint.empty() ? std::string("none") : stored.adapter_fingerprint) + ", now " +
               (current.adapter_fingerprint.empty() ? std::string("none") : current.adapter_fingerprint) + ")";
    if (stored.policy != current.policy || stored.budget != current.budget)
        return "it was made with policy " + stored.policy + " budget " + std::to_string(stored.budget) + ", now " +
               current.policy + " budget " + std::to_string(current.budget);
    if (stored.cache_format != current.cache_format)
        return "its cache format is " + std::to_string(stored.cache_format) + ", this build's is " +
               std::to_string(current.cache_format);
    return {};
}

std::filesystem::path SessionStore::default_path() {
    if (const char* env = std::getenv("GLIMPSE_SESSIONS_DB"); env && *env) return env;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty()) dir = QDir::homePath() + "/.local/share";
    // AppDataLocation for an application named "glimpse", without needing a QCoreApplication.
    return std::filesystem::path(dir.toStdString()) / "glimpse" / "sessions.sqlite";
}

SessionStore::SessionStore(const std::filesystem::path& path) : db_([&] {
    if (path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
    }
    return SqliteDatabase(path);
}()) {
    db_.execute("PRAGMA busy_timeout = 5000");
    migrate(db_);
    // WAL lets readers and a writer share the file; a read-only file keeps its journal.
    db_.execute("PRAGMA journal_mode = WAL");
    db_.execute("PRAGMA foreign_keys = ON");
    db_.execute("PRAGMA synchronous = NORMAL");
    clean_incomplete();
}

std::vector<SessionRecord> SessionStore::sessions() {
    SqliteStatement s(db_, std::string(kSessionColumns) + "ORDER BY updated_at DESC, id DESC");
    std::vector<SessionRecord> out;
    while (s.step()) out.push_back(session_of(s));
    return out;
}

std::optional<SessionRecord> SessionStore::find(const std::string& name) {
    SqliteStatement s(db_, std::string(kSessionColumns) + "WHERE name = ?");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return session_of(s);
}

SessionRecord SessionStore::create(const std::string& name, const std::string& title, const SnapshotIdentity& identity,
                                   const std::string& sampling, const std::string& system_prompt,
                                   const std::vector<StoredDocument>& documents) {
    if (name.empty()) throw engine::Error("a session needs a name");
    SqliteTransaction tx(db_);
    if (find(name)) throw engine::Error("a session named \"" + name + "\" already exists");
    const int64_t t = now();
    SqliteStatement ins(db_,
                        "INSERT INTO sessions (name, title, created_at, updated_at, model_fingerprint, "
                        "adapter_fingerprint, policy, budget, sampling, system_prompt, cache_format) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, name).bind(2, title).bind(3, t).bind(4, t).bind(5, identity.model_fingerprint)
        .bind(6, identity.adapter_fingerprint).bind(7, identity.policy).bind(8, identity.budget).bind(9, sampling)
        .bind(10, system_prompt).bind(11, identity.cache_format);
    ins.run();
    const int64_t session_id = db_.last_insert_rowid();

    link_documents(session_id, documents, t);
    tx.commit();
    return *find(name);
}

void SessionStore::link_documents(int64_t session_id, const std::vector<StoredDocument>& documents, int64_t t) {
    for (const auto& d : documents)
        if (!d.geometry.empty() && d.geometry.size() != d.document.pages.size())
            throw engine::Error("document " + d.path + ": " + std::to_string(d.geometry.size()) + " page geometries for " +
                                std::to_string(d.document.pages.size()) + " pages");
    SqliteStatement add_doc(db_, "INSERT OR IGNORE INTO documents (content_hash, title, path, added_at) VALUES (?, ?, ?, ?)");
    SqliteStatement doc_id(db_, "SELECT id FROM documents WHERE content_hash = ?");
    SqliteStatement add_page(db_,
                             "INSERT INTO document_pages (document_id, page_index, number, text, page_size, word_boxes) "
                             "VALUES (?, ?, ?, ?, ?, ?)");
    SqliteStatement add_geometry(db_,
                                 "UPDATE document_pages SET page_size = ?, word_boxes = ? "
                                 "WHERE document_id = ? AND page_index = ? AND page_size IS NULL");
    // A page's geometry blobs, or NULLs for a page without.
    auto bind_geometry = [](SqliteStatement& s, int first, const StoredDocument& d, size_t p) -> SqliteStatement& {
        if (p < d.geometry.size() && d.geometry[p].width > 0)
            return s.bind_blob(first, encode_page_size(d.geometry[p])).bind_blob(first + 1, encode_word_boxes(d.geometry[p]));
        return s.bind_null(first).bind_null(first + 1);
    };
    SqliteStatement link(db_, "INSERT INTO session_documents (session_id, position, document_id) VALUES (?, ?, ?)");
    for (size_t i = 0; i < documents.size(); ++i) {
        const auto& d = documents[i];
        const std::string hash = content_hash(d.document);
        add_doc.reset();
        add_doc.bind(1, hash).bind(2, d.document.title).bind(3, d.path).bind(4, t).run();
        const bool added = db_.changes() > 0;
        doc_id.reset();
        doc_id.bind(1, hash);
        doc_id.step();
        const int64_t id = doc_id.int64(0);
        for (size_t p = 0; p < d.document.pages.size(); ++p) {
            if (added) {
                add_page.reset();
                add_page.bind(1, id).bind(2, static_cast<int64_t>(p)).bind(3, d.document.pages[p].number)
                    .bind(4, d.document.pages[p].text);
                bind_geometry(add_page, 5, d, p).run();
            } else if (p < d.geometry.size() && d.geometry[p].width > 0) {
                add_geometry.reset();
                bind_geometry(add_geometry, 1, d, p).bind(3, id).bind(4, static_cast<int64_t>(p)).run();
            }
        }
        link.reset();
        link.bind(1, session_id).bind(2, static_cast<int64_t>(i)).bind(3, id).run();
    }
}

std::vector<StoredDocument> SessionStore::documents(int64_t session_id) {
    SqliteStatement docs(db_,
                         "SELECT d.id, d.title, d.path FROM session_documents sd JOIN documents d ON d.id = sd.document_id "
                         "WHERE sd.session_id = ? ORDER BY sd.position");
    SqliteStatement pages(db_,
                          "SELECT number, text, page_size, word_boxes FROM document_pages WHERE document_id = ? "
                          "ORDER BY page_index");
    docs.bind(1, session_id);
    std::vector<StoredDocument> out;
    while (docs.step()) {
        StoredDocument d;
        d.document.title = docs.text(1);
        d.path = docs.text(2);
        pages.reset();
        pages.bind(1, docs.int64(0));
        bool any_geometry = false;
        while (pages.step()) {
            d.document.pages.push_back({static_cast<int>(pages.int64(0)), pages.text(1)});
            PageGeometry geometry;
            if (!pages.is_null(2)) {
                any_geometry = true;
                try {
                    geometry = decode_page_geometry(pages.blob(2), pages.blob(3), d.document.pages.back().text.size(),
                                                    "document " + d.path + " page " +
                                                        std::to_string(d.document.pages.back().number));
                } catch (const engine::Error&) {
                    // Damaged geometry costs the page its highlights, never the session.
                }
            }
            d.geometry.push_back(std::move(geometry));
        }
        if (!any_geometry) d.geometry.clear();
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<TurnRecord> SessionStore::turns(int64_t session_id) {
    SqliteStatement s(db_,
                      "SELECT question, answer, read_tokens, answer_tokens, read_seconds, answer_seconds, read_documents, "
                      "cited_pages, created_at FROM turns WHERE session_id = ? ORDER BY turn_index");
    s.bind(1, session_id);
    std::vector<TurnRecord> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.int64(2), s.int64(3), s.real(4), s.real(5), s.int64(6) != 0, s.text(7),
                       s.int64(8)});
    return out;
}

int64_t SessionStore::add_turn(int64_t session_id, const TurnRecord& turn) {
    SqliteTransaction tx(db_);
    SqliteStatement next(db_, "SELECT coalesce(max(turn_index) + 1, 0) FROM turns WHERE session_id = ?");
    next.bind(1, session_id);
    next.step();
    const int64_t index = next.int64(0);
    SqliteStatement ins(db_,
                        "INSERT INTO turns (session_id, turn_index, question, answer, read_tokens, answer_tokens, "
                        "read_seconds, answer_seconds, read_documents, cited_pages, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, session_id).bind(2, index).bind(3, turn.question).bind(4, turn.answer).bind(5, turn.read_tokens)
        .bind(6, turn.answer_tokens).bind(7, turn.read_seconds).bind(8, turn.answer_seconds)
        .bind(9, int64_t{turn.read_documents ? 1 : 0}).bind(10, turn.cited_pages)
        .bind(11, turn.created_at ? turn.created_at : now());
    ins.run();
    SqliteStatement touch(db_, "UPDATE sessions SET updated_at = ? WHERE id = ?");
    touch.bind(1, now()).bind(2, session_id).run();
    tx.commit();
    return index;
}

int64_t SessionStore::replace_last_answer(int64_t session_id, const TurnRecord& turn) {
    SqliteTransaction tx(db_);
    SqliteStatement last(db_, "SELECT max(turn_index) FROM turns WHERE session_id = ?");
    last.bind(1, session_id);
    if (!last.step() || last.is_null(0)) throw engine::Error("the session has no answer to replace");
    const int64_t index = last.int64(0);
    SqliteStatement up(db_,
                       "UPDATE turns SET answer = ?, answer_tokens = ?, answer_seconds = ?, cited_pages = ? "
                       "WHERE session_id = ? AND turn_index = ?");
    up.bind(1, turn.answer).bind(2, turn.answer_tokens).bind(3, turn.answer_seconds).bind(4, turn.cited_pages)
        .bind(5, session_id).bind(6, index).run();
    SqliteStatement touch(db_, "UPDATE sessions SET updated_at = ? WHERE id = ?");
    touch.bind(1, now()).bind(2, session_id).run();
    tx.commit();
    return index;
}

void SessionStore::rename(const std::string& from, const std::string& to) {
    if (to.empty()) throw engine::Error("a session needs a name");
    SqliteTransaction tx(db_);
    if (!find(from)) throw engine::Error("no session named \"" + from + "\"");
    if (find(to)) throw engine::Error("a session named \"" + to + "\" already exists");
    SqliteStatement s(db_, "UPDATE sessions SET name = ? WHERE name = ?");
    s.bind(1, to).bind(2, from).run();
    tx.commit();
}

void SessionStore::set_documents(int64_t session_id, const std::vector<StoredDocument>& documents) {
    SqliteTransaction tx(db_);
    SqliteStatement unlink(db_, "DELETE FROM session_documents WHERE session_id = ?");
    unlink.bind(1, session_id).run();
    // The snapshots read the old documents; the next question reads the new ones.
    SqliteStatement drop(db_, "DELETE FROM kv_snapshots WHERE session_id = ?");
    drop.bind(1, session_id).run();
    const int64_t t = now();
    link_documents(session_id, documents, t);
    db_.execute("DELETE FROM documents WHERE id NOT IN (SELECT document_id FROM session_documents)");
    SqliteStatement touch(db_, "UPDATE sessions SET updated_at = ? WHERE id = ?");
    touch.bind(1, t).bind(2, session_id).run();
    tx.commit();
}

void SessionStore::remove(const std::string& name) {
    SqliteTransaction tx(db_);
    SqliteStatement s(db_, "DELETE FROM sessions WHERE name = ?");
    s.bind(1, name).run();
    if (db_.changes() == 0) throw engine::Error("no session named \"" + name + "\"");
    db_.execute("DELETE FROM documents WHERE id NOT IN (SELECT document_id FROM session_documents)");
    tx.commit();
}

}  // namespace glimpse::store
