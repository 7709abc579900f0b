package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// scanner is a row or rows being read (an alias: the scan funcs of collect take the same).
type scanner = interface{ Scan(...any) error }

// one reads one row with scan; no row is ErrNotFound. what names the
// record in errors ("order 7").
func one[T any](q Q, ctx context.Context, scan func(scanner) (*T, error), what, query string, args ...any) (*T, error) {
	v, err := scan(q.q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// execOne runs a write that must touch a row; none is ErrNotFound.
func (tx *Tx) execOne(ctx context.Context, what, query string, args ...any) error {
	ok, err := tx.execIf(ctx, what, query, args...)
	if err == nil && !ok {
		return ErrNotFound
	}
	return err
}

// execIf runs a conditional write and reports whether it touched a row
// (false: the condition no longer held, another request came first).
func (tx *Tx) execIf(ctx context.Context, what, query string, args ...any) (bool, error) {
	res, err := tx.q.ExecContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// insert runs an INSERT and returns the new row's id; a unique constraint
// gives ErrDuplicate.
func (tx *Tx) insert(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := tx.q.ExecContext(ctx, query, args...)
	if isUnique(err) {
		return 0, ErrDuplicate
	}
	if err != nil {
		return 0, fmt.Errorf("insert %s: %w", what, err)
	}
	return res.LastInsertId()
}
