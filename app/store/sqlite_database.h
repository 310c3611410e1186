#pragma once
// A thin RAII wrapper on the SQLite C API: one open connection. SQLite's failures become
// engine::Error with a kind a caller can branch on (cannot open, read-only, disk full: Io;
// not a database or corrupt: BadFile) and a message naming the database file.

#include <filesystem>
#include <string>

struct sqlite3;

namespace glimpse::store {

class SqliteDatabase {
public:
    enum class Mode { ReadWriteCreate, ReadOnly };

    // Throws engine::Error (Io when the file cannot be opened or created).
    explicit SqliteDatabase(const std::filesystem::path& path, Mode mode = Mode::ReadWriteCreate);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;
    SqliteDatabase(SqliteDatabase&& other) noexcept;
    SqliteDatabase& operator=(SqliteDatabase&& other) noexcept;

    // Runs one or more statements that return no rows the caller needs.
    void execute(const std::string& sql);
    // The first column of the first row of `sql` as an integer (PRAGMAs, counts).
    int64_t query_int(const std::string& sql);

    int64_t last_insert_rowid() const;
    int64_t changes() const;

    // Throws the engine::Error for SQLite result `rc`, `what` saying what was being done.
    [[noreturn]] void fail(int rc, const std::string& what) const;

    const std::filesystem::path& path() const { return path_; }
    sqlite3* handle() const { return db_; }

private:
    std::filesystem::path path_;
    sqlite3* db_ = nullptr;
};

}  // namespace glimpse::store
