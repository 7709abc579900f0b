package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BackupTo copies the live database into a new file with SQLite's online
// backup API: writers may go on meanwhile; the copy is one consistent state.
func (s *Store) BackupTo(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists", dest)
	}
	dst, err := sql.Open(driverName, "file:"+uriPath(dest))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer dst.Close()
	return copyDB(ctx, s.db, dst)
}

// ReplaceWith replaces the live database's content with other's through
// the online backup API: open handles stay valid, and the copy is one
// write transaction on s, so a failure leaves s as it was.
func (s *Store) ReplaceWith(ctx context.Context, other *Store) error {
	defer s.settling(Changes{All: true}, true)()
	if err := copyDB(ctx, other.db, s.w); err != nil {
		return err
	}
	s.tell(Changes{All: true})
	return s.startTracking(ctx)
}

func copyDB(ctx context.Context, from, to *sql.DB) error {
	fc, err := from.Conn(ctx)
	if err != nil {
		return err
	}
	defer fc.Close()
	tc, err := to.Conn(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	return tc.Raw(func(tRaw any) error {
		return fc.Raw(func(fRaw any) error {
			tconn, ok1 := tRaw.(*sqlite3.SQLiteConn)
			fconn, ok2 := fRaw.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("backup: not a SQLite connection")
			}
			b, err := tconn.Backup("main", fconn, "main")
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			for {
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return fmt.Errorf("backup step: %w", err)
				}
				if done {
					break
				}
			}
			return b.Finish()
		})
	})
}

// IntegrityCheck runs PRAGMA integrity_check and returns its problems.
func (q Q) IntegrityCheck(ctx context.Context) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}
