package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// batchStmt is one of ContactImporter's full-batch INSERTs, prepared once.
// In a transaction that holds its connection (ImportTx) it runs through
// the driver: database/sql would convert every value into a slice of its
// own for each statement (a third of a 100k import's allocations) and
// go-sqlite3 would start a goroutine a statement to watch the context. The
// importer checks the context between batches instead.
type batchStmt struct {
	query string
	std   *sql.Stmt   // through database/sql
	conn  *sql.Conn   // or through the driver: raw, prepared on conn
	raw   driver.Stmt // used only inside conn.Raw, on the connection it came from
	args  []driver.NamedValue
}

// prepare readies the statement: now through database/sql, or on its
// first run through the driver.
func (b *batchStmt) prepare(ctx context.Context, tx *Tx, query string) error {
	b.query = query
	if tx.conn != nil {
		b.conn = tx.conn
		return nil
	}
	p, ok := tx.q.(preparer)
	if !ok {
		return errors.New("the transaction cannot prepare statements")
	}
	st, err := p.PrepareContext(ctx, query)
	b.std = st
	return err
}

// exec runs the statement with values, which must be driver values
// (NewImportRow's are), and returns the last row's id.
func (b *batchStmt) exec(ctx context.Context, values []any) (lastID int64, err error) {
	if b.conn == nil {
		res, err := b.std.ExecContext(ctx, values...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	err = b.conn.Raw(func(dc any) error {
		if b.raw == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return errors.New("the driver cannot prepare statements")
			}
			st, err := p.PrepareContext(ctx, b.query)
			if err != nil {
				return err
			}
			b.raw = st
		}
		ex, ok := b.raw.(driver.StmtExecContext)
		if !ok {
			return errors.New("the driver cannot execute statements")
		}
		args := b.args[:0]
		for i, v := range values {
			// go-sqlite3 clears every parameter to NULL before it binds:
			// a NULL needs no call into SQLite of its own.
			if v != nil {
				args = append(args, driver.NamedValue{Ordinal: i + 1, Value: v})
			}
		}
		// No deadline: SQLite is not interrupted halfway through a batch.
		res, err := ex.ExecContext(context.Background(), args)
		clear(args) // hold none of the caller's values
		b.args = args[:0]
		if err != nil {
			return err
		}
		lastID, err = res.LastInsertId()
		return err
	})
	return lastID, err
}

// close finalises the statement.
func (b *batchStmt) close() error {
	switch {
	case b.std != nil:
		return b.std.Close()
	case b.raw != nil:
		return b.conn.Raw(func(any) error { return b.raw.Close() })
	}
	return nil
}
