#pragma once
// The session database's schema as numbered migrations keyed on PRAGMA user_version, and
// the checks that a file is a Glimpse session database this build can read.

#include <cstdint>

namespace glimpse::store {

class SqliteDatabase;

// PRAGMA application_id of every Glimpse session database ("GLMP").
inline constexpr int64_t kApplicationId = 0x474C4D50;

// The schema version this build writes; migrations 1..kSchemaVersion exist.
int64_t latest_schema_version();

// Refuses another application's database (BadFile) and one made by a newer Glimpse
// (Invalid), then applies the migrations up to `target` (default: the latest), each in
// its own transaction. Tests pass an earlier target to make a database of that version.
void migrate(SqliteDatabase& db, int64_t target = -1);

}  // namespace glimpse::store
