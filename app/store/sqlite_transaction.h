#pragma once
// A transaction that rolls back unless commit() is called: an exception (or a return)
// between begin and commit leaves the database as it was.

#include "store/sqlite_database.h"

namespace glimpse::store {

class SqliteTransaction {
public:
    // IMMEDIATE takes the write lock at once, so two processes never deadlock upgrading.
    explicit SqliteTransaction(SqliteDatabase& db) : db_(db) { db_.execute("BEGIN IMMEDIATE"); }
    ~SqliteTransaction() {
        if (!done_) {
            try {
                db_.execute("ROLLBACK");
            } catch (...) {
                // The connection already rolled back (SQLite does on some errors).
            }
        }
    }
    SqliteTransaction(const SqliteTransaction&) = delete;
    SqliteTransaction& operator=(const SqliteTransaction&) = delete;

    void commit() {
        db_.execute("COMMIT");
        done_ = true;
    }

private:
    SqliteDatabase& db_;
    bool done_ = false;
};

}  // namespace glimpse::store
