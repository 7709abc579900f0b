package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// CopyError is a row the copy refused: it breaks a rule of the schema it
// was copied into. Reason is SQLite's words.
type CopyError struct {
	Table  string
	Row    int // position in the source table, from 1; 0 when found after the copy
	Reason string
}

func (e *CopyError) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("table %s: %s", e.Table, e.Reason)
	}
	return fmt.Sprintf("table %s, row %d: %s", e.Table, e.Row, e.Reason)
}

// CopyRows replaces the rows of tables in s with src's, column by column
// name, in one transaction. Every constraint of s's schema applies to each
// row, and foreign keys are checked once all rows are in. src must have the
// tables with (at least) s's columns.
//
// The schema's triggers do not run for the copied rows: the search index
// starts empty and the background indexer fills it (IndexSearch).
func (s *Store) CopyRows(ctx context.Context, src Q, tables []string) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.q.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return fmt.Errorf("copy rows: %w", err)
		}
		resume, err := tx.suspendTriggers(ctx)
		if err != nil {
			return fmt.Errorf("copy rows: %w", err)
		}
		for _, t := range tables {
			if _, err := tx.q.ExecContext(ctx, `DELETE FROM `+ident(t)); err != nil {
				return fmt.Errorf("copy rows: empty %s: %w", t, err)
			}
		}
		for _, t := range tables {
			if err := tx.copyTable(ctx, src, t); err != nil {
				return err
			}
		}
		if err := resume(); err != nil {
			return err
		}
		if ok, err := tx.hasSearch(ctx); err != nil || !ok {
			return errors.Join(err, tx.foreignKeyProblem(ctx))
		}
		if err := tx.resetSearch(ctx); err != nil {
			return err
		}
		return tx.foreignKeyProblem(ctx)
	})
}

func (tx *Tx) copyTable(ctx context.Context, src Q, table string) error {
	p, ok := tx.q.(preparer)
	if !ok {
		return errors.New("copy rows: the transaction cannot prepare statements")
	}
	cols, err := tx.columns(ctx, table)
	if err != nil {
		return err
	}
	sel, names := make([]string, len(cols)), make([]string, len(cols))
	for i, c := range cols {
		// Unary plus: the result has no declared type, so the driver hands
		// each value back as stored (no DATETIME or BOOLEAN conversion).
		sel[i], names[i] = "+"+ident(c), ident(c)
	}
	ins, err := p.PrepareContext(ctx, `INSERT INTO `+ident(table)+` (`+strings.Join(names, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
	if err != nil {
		return fmt.Errorf("copy rows: %s: %w", table, err)
	}
	defer ins.Close()
	rows, err := src.q.QueryContext(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM main.`+ident(table))
	if err != nil {
		return &CopyError{Table: table, Reason: sqliteWords(err)}
	}
	defer rows.Close()
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return &CopyError{Table: table, Row: n, Reason: sqliteWords(err)}
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return &CopyError{Table: table, Row: n, Reason: sqliteWords(err)}
		}
	}
	if err := rows.Err(); err != nil {
		return &CopyError{Table: table, Reason: sqliteWords(err)}
	}
	return nil
}

// foreignKeyProblem reports the first row whose foreign key points nowhere.
func (tx *Tx) foreignKeyProblem(ctx context.Context) error {
	var table, parent string
	var rowid any
	var fk int
	err := tx.q.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fk)
	if err == nil {
		return &CopyError{Table: table, Reason: "a row refers to a missing row of " + parent}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return fmt.Errorf("copy rows: foreign key check: %w", err)
}

func sqliteWords(err error) string {
	if m := SQLiteMessage(err); m != "" {
		return m
	}
	return err.Error()
}
