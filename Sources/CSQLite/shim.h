#ifndef STATION_AGENT_CSQLITE_SHIM_H
#define STATION_AGENT_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift cannot import. */
static inline sqlite3_destructor_type station_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* sqlite3_db_config is variadic: Swift cannot call it. Defensive mode (no writable_schema, no direct writes to
   shadow tables) and an untrusted schema (triggers and views may call only innocuous functions): a journal file
   is data that anyone who can write the data directory could have planted. */
static inline int station_sqlite_harden(sqlite3 *db) {
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
}
#endif
