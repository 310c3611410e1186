#pragma once
// A prepared statement with typed binds (1-based, as SQLite counts) and typed columns
// (0-based). Finalized when it goes out of scope.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3_stmt;

namespace glimpse::store {

class SqliteDatabase;

class SqliteStatement {
public:
    SqliteStatement(SqliteDatabase& db, std::string_view sql);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    SqliteStatement& bind(int index, int64_t value);
    SqliteStatement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
    SqliteStatement& bind(int index, double value);
    SqliteStatement& bind(int index, std::string_view text);
    SqliteStatement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    SqliteStatement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    SqliteStatement& bind_blob(int index, std::span<const uint8_t> bytes);
    SqliteStatement& bind_null(int index);

    // Steps once: true while a row is available.
    bool step();
    // Steps a statement that returns no rows.
    void run();
    // Clears binds and rewinds, to run again.
    void reset();

    bool is_null(int column) const;
    int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::vector<uint8_t> blob(int column) const;
    int64_t bytes(int column) const;

private:
    SqliteDatabase& db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

}  // namespace glimpse::store
