package store

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// listBefore, which checks that a search's walk came back in list order,
// orders keys as SQLite's listOrder does: random names of letters in both
// cases, digits, punctuation, accents and NUL, sorted by both.
func TestListBeforeIsSQLitesListOrder(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "grantbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(7, 9))
	alphabet := []string{"a", "A", "b", "B", "z", "Z", "_", "[", "`", "~", "0", "9", " ", "é", "É", "\x00", "\x7f"}
	name := func() string {
		var b []byte
		for range r.IntN(4) {
			b = append(b, alphabet[r.IntN(len(alphabet))]...)
		}
		return string(b)
	}
	var keys []SortKey
	for i := range 1500 {
		keys = append(keys, SortKey{Last: name(), First: name(), ID: int64(i + 1)})
	}
	var sorted []SortKey
	err = s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.q.ExecContext(ctx, `CREATE TEMP TABLE k (last TEXT, first TEXT, id INTEGER)`); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO k VALUES (?, ?, ?)`, k.Last, k.First, k.ID); err != nil {
				return err
			}
		}
		rows, err := tx.q.QueryContext(ctx, `SELECT last, first, id FROM k ORDER BY last COLLATE NOCASE, first COLLATE NOCASE, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k SortKey
			if err := rows.Scan(&k.Last, &k.First, &k.ID); err != nil {
				return err
			}
			sorted = append(sorted, k)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `DROP TABLE k`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sorted) != len(keys) {
		t.Fatalf("%d keys back, want %d", len(sorted), len(keys))
	}
	for i := 1; i < len(sorted); i++ {
		if !listBefore(sorted[i-1], sorted[i]) || listBefore(sorted[i], sorted[i-1]) {
			t.Errorf("SQLite sorts %+q before %+q; listBefore disagrees", []string{sorted[i-1].Last, sorted[i-1].First}, []string{sorted[i].Last, sorted[i].First})
		}
	}
}
