package store

import (
	"context"
	"path/filepath"
	"testing"
)

// A file from outside is read with its schema distrusted and SQLite's
// defensive flag on.
func TestUntrustedConnectionSetUp(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	u, err := OpenUntrusted(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	conn, err := u.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pragma := func(name string) int {
		t.Helper()
		var v int
		if err := conn.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	if pragma("trusted_schema") != 0 {
		t.Error("trusted_schema is on")
	}
	if pragma("query_only") != 1 {
		t.Error("query_only is off")
	}
	// With the defensive flag, writable_schema=ON is ignored.
	if _, err := conn.ExecContext(ctx, `PRAGMA writable_schema = ON`); err != nil {
		t.Fatal(err)
	}
	if pragma("writable_schema") != 0 {
		t.Error("writable_schema could be turned on: the defensive flag is off")
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE x (y)`); err == nil {
		t.Error("wrote to a file opened read-only")
	}
}
