package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Reads go through a pool whose connections cannot write, and every write
// through the one writer connection.
func TestReadersCannotWriteAndOneWriter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "grantbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Q.q.ExecContext(ctx, `INSERT INTO accounts (name, created_at) VALUES ('Acme', 0)`)
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write through a reader: %v, want a read-only error", err)
	}
	if n := s.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO accounts (name, created_at) VALUES ('Acme', 0)`)
		return err
	})
	if err != nil {
		t.Errorf("write in a transaction: %v", err)
	}
}
