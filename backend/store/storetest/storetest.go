// Package storetest helps tests make database files the way someone
// outside Grantbook would.
package storetest

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3" // plain "sqlite3": none of the store's checks
)

// Edit runs SQL statements on a copy of a database file's bytes, as one
// editing a backup with any SQLite tool, and returns the edited bytes.
func Edit(tb testing.TB, file []byte, stmts ...string) []byte {
	tb.Helper()
	name := filepath.Join(tb.TempDir(), "edited.db")
	if err := os.WriteFile(name, file, 0o600); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+name)
	if err != nil {
		tb.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			tb.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
