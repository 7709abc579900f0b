package store

/*
// The SQLite that mattn/go-sqlite3 links in; it offers no Go call for
// sqlite3_db_config, so these two are declared here.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_api_routines sqlite3_api_routines;
extern int sqlite3_db_config(sqlite3 *, int, ...);
extern int sqlite3_auto_extension(void (*)(void));

#define GRANTBOOK_DBCONFIG_DEFENSIVE 1010 // SQLITE_DBCONFIG_DEFENSIVE

static int grantbook_defensive(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
	return sqlite3_db_config(db, GRANTBOOK_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

static int grantbook_register_defensive(void) {
	return sqlite3_auto_extension((void (*)(void))grantbook_defensive);
}
*/
import "C"

import "fmt"

// Every connection the process opens gets SQLite's defensive flag: SQL can
// no longer corrupt the file on purpose (writable_schema, journal_mode=OFF,
// schema_version, sqlite_dbpage). Grantbook uses none of these, and a
// restore reads files from outside. SQLite calls auto extensions for each
// new connection, before the driver's own set-up.
func init() {
	if rc := C.grantbook_register_defensive(); rc != 0 {
		panic(fmt.Sprintf("sqlite3_auto_extension: code %d", int(rc)))
	}
}
