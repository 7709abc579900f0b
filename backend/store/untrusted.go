package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// untrustedDriver reads files from outside (a backup to restore): their
// schema is data, never code. No Grantbook function is registered, so the
// file's views, triggers and defaults cannot call one either.
const untrustedDriver = "sqlite3_grantbook_untrusted"

func init() {
	sql.Register(untrustedDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range []string{
			// Functions in the schema must be innocuous ones (SQLite's
			// "defense against the dark arts"); the defensive flag is set
			// on every connection (defensive.go).
			`PRAGMA trusted_schema = OFF`,
			`PRAGMA cell_size_check = ON`,
			`PRAGMA mmap_size = 0`,
			`PRAGMA query_only = ON`,
		} {
			if _, err := c.Exec(p, nil); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		return nil
	}})
}

// Untrusted is a database file from outside, opened read-only.
type Untrusted struct {
	Q
	db *sql.DB
}

// OpenUntrusted opens file read-only as immutable: no lock, no journal, no
// WAL is looked for or written next to it.
func OpenUntrusted(ctx context.Context, file string) (*Untrusted, error) {
	db, err := sql.Open(untrustedDriver, "file:"+uriPath(file)+"?mode=ro&immutable=1")
	if err != nil {
		return nil, fmt.Errorf("open untrusted: %w", err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open untrusted: %w", err)
	}
	return &Untrusted{Q: Q{q: db}, db: db}, nil
}

// Close closes the file.
func (u *Untrusted) Close() error { return u.db.Close() }

// SQLiteMessage is SQLite's own words for err (no file names), or "".
func SQLiteMessage(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return strings.TrimSpace(se.Error())
	}
	return ""
}
