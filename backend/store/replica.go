package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// The change log (backend/changelog, migration 18) needs two things of the
// store: a step inside each write transaction just before it commits, and
// plain SQL on the replicated tables, which it writes generically.

// CommitHook runs inside every write transaction just before it commits;
// an error rolls the transaction back. It reports whether it wrote
// anything; after, if set, then runs once the transaction has committed.
type CommitHook struct {
	Before func(ctx context.Context, tx *Tx) (bool, error)
	After  func()
}

type hooks struct {
	mu sync.Mutex
	h  *CommitHook
}

// SetCommitHook installs h (nil removes it).
func (s *Store) SetCommitHook(h *CommitHook) {
	s.hook.mu.Lock()
	defer s.hook.mu.Unlock()
	s.hook.h = h
}

func (s *Store) commitHook() *CommitHook {
	s.hook.mu.Lock()
	defer s.hook.mu.Unlock()
	return s.hook.h
}

// Exec runs a statement (for backend/changelog).
func (q Q) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.q.ExecContext(ctx, query, args...)
}

// Query runs a query (for backend/changelog).
func (q Q) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.q.QueryContext(ctx, query, args...)
}

// QueryRow runs a query of one row (for backend/changelog).
func (q Q) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.q.QueryRowContext(ctx, query, args...)
}

// newID is the id of a new row of a table both the hub and the desktop add
// rows to: the next in this device's range (change_state: the hub's starts
// at 1<<40), so the two never pick the same id. The range's top row is
// found through the rowid index.
func newID(table string) string {
	t := ident(table)
	return `(coalesce((SELECT id FROM ` + t + ` WHERE id > (SELECT id_lo FROM change_state) AND id < (SELECT id_hi FROM change_state)
		ORDER BY id DESC LIMIT 1), (SELECT id_lo FROM change_state)) + 1)`
}

// ApplyTx is Tx without foreign key checks, for writing another device's
// changes: they arrive one row at a time in the order that device made
// them, which its own checks kept consistent at each commit (a cascade
// there arrives as its own deletes), so a reference may lead for a moment.
func (s *Store) ApplyTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.txWithoutForeignKeys(ctx, fn, true)
}

// ImportTx is Tx without foreign key checks, for a bulk import of new
// contacts through a ContactImporter, which then checks each reference it
// writes itself (NewContactImporter). SQLite's own checks make every
// multi-row INSERT keep a statement journal (a copy of each page it
// touches, to undo that one statement): most of the import's disk writes.
// Nothing else may be written through tx that relies on foreign keys.
//
// Its commit does not checkpoint: copying the import's pages from the WAL
// into the database (a third of a 100k import's commit) is left to the
// writer's next commit, by then in the background (the search indexer
// runs after every import).
func (s *Store) ImportTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.txWithoutForeignKeys(ctx, fn, false)
}

// txWithoutForeignKeys runs fn in a transaction without foreign key checks
// on the writer connection, whose commit checkpoints or not; the
// connection's settings come back after it, whatever happened.
func (s *Store) txWithoutForeignKeys(ctx context.Context, fn func(tx *Tx) error, checkpoint bool) error {
	conn, err := s.w.Conn(ctx) // the one writer connection, held until done
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	bg := context.WithoutCancel(ctx)
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Back on before the connection serves anyone else, even after a failure.
	defer conn.ExecContext(bg, `PRAGMA foreign_keys = ON`)
	if !checkpoint {
		var pages int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer conn.ExecContext(bg, fmt.Sprintf(`PRAGMA wal_autocheckpoint = %d`, pages))
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return s.run(ctx, conn, sqlTx, fn)
}
