#include "store/sqlite_database.h"

#include "engine/error.h"

#include <sqlite3.h>

#include <utility>

namespace glimpse::store {
namespace {

engine::ErrorKind kind_of(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
        return engine::ErrorKind::BadFile;
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return engine::ErrorKind::Io;
    case SQLITE_NOMEM:
        return engine::ErrorKind::OutOfMemory;
    default:
        return engine::ErrorKind::Invalid;
    }
}

// What a person can do about it, beside SQLite's own words.
std::string advice_for(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return "; the file is damaged or is not a Glimpse session database (move it aside to start afresh)";
    case SQLITE_FULL:
        return "; the disk is full: free some space and try again (what was saved before is intact)";
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return "; the database is read-only: check the file's and its folder's permissions";
    case SQLITE_CANTOPEN:
        return "; check that the folder exists and can be written";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "; another Glimpse is writing to it: try again when it is done";
    default:
        return "";
    }
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::filesystem::path& path, Mode mode) : path_(path) {
    const int flags = (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.string().c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw engine::Error(engine::ErrorKind::Io, "session database " + path.string() + ": cannot open it (" +
                                                       message + ")" + advice_for(SQLITE_CANTOPEN));
    }
    sqlite3_extended_result_codes(db_, 1);
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

SqliteDatabase::SqliteDatabase(SqliteDatabase&& other) noexcept
    : path_(std::move(other.path_)), db_(std::exchange(other.db_, nullptr)) {}

SqliteDatabase& SqliteDatabase::operator=(SqliteDatabase&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        path_ = std::move(other.path_);
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

void SqliteDatabase::execute(const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (message) sqlite3_free(message);
    if (rc != SQLITE_OK) fail(rc, "running " + sql.substr(0, sql.find_first_of("(\n")));
}

int64_t SqliteDatabase::query_int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, "preparing " + sql);
    rc = sqlite3_step(stmt);
    const int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail(rc, "running " + sql);
    return value;
}

int64_t SqliteDatabase::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int64_t SqliteDatabase::changes() const { return sqlite3_changes64(db_); }

void SqliteDatabase::fail(int rc, const std::string& what) const {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    throw engine::Error(kind_of(rc), "session database " + path_.string() + ": " + what + ": " + message +
                                         advice_for(rc));
}

}  // namespace glimpse::store
