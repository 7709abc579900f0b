package store_test

import (
	"fmt"
	"testing"

	"grantbook/backend/store"
)

// A transaction's moves of contacts in the listings arrive in the order
// they were made, with the entries before and after; one with more moves
// than are worth following says Lists instead.
func TestChangesListContactMoves(t *testing.T) {
	s, _ := openStore(t)
	a1, a2 := addAccount(t, s, "One"), addAccount(t, s, "Two")
	var told []store.Changes
	s.OnChange(func(c store.Changes) { told = append(told, c) })
	c := newContact(a1.ID, "Ann", "Smith", "ann@example.com")
	err := s.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertContact(ctx, c); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE contacts SET last_name = 'Jones', account_id = ? WHERE id = ?`, a2.ID, c.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteContact(ctx, c.ID) }); err != nil {
		t.Fatal(err)
	}
	if len(told) != 2 {
		t.Fatalf("told %d changes", len(told))
	}
	got := fmt.Sprint(moves(told[0].Moves), told[0].Lists, moves(told[1].Moves), told[1].Lists)
	want := fmt.Sprintf("[- %[1]v %[1]v %[2]v] false [%[2]v -] false",
		store.ListEntry{AccountID: a1.ID, Status: "active", Key: store.SortKey{Last: "Smith", First: "Ann", ID: c.ID}},
		store.ListEntry{AccountID: a2.ID, Status: "active", Key: store.SortKey{Last: "Jones", First: "Ann", ID: c.ID}})
	if got != want {
		t.Fatalf("told %d changes: %s, want %s", len(told), got, want)
	}
	told = nil
	err = s.Tx(ctx, func(tx *store.Tx) error {
		for i := range 5000 {
			if err := tx.InsertContact(ctx, newContact(a1.ID, "Bo", "Bulk", fmt.Sprintf("b%d@example.com", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || !told[0].Lists || told[0].Moves != nil {
		t.Fatalf("5000 inserts: told %d changes, lists %v, %d moves", len(told), told[0].Lists, len(told[0].Moves))
	}
}

// moves lists each move's entries before and after ("-": none).
func moves(ms []store.ContactMove) []string {
	var out []string
	for _, m := range ms {
		for _, e := range []*store.ListEntry{m.Old, m.New} {
			if e == nil {
				out = append(out, "-")
			} else {
				out = append(out, fmt.Sprint(*e))
			}
		}
	}
	return out
}

// The list generation is odd while a commit that changes contacts is on
// its way to the caches, and stays put for a commit that changes other
// cached data (a setting).
func TestListGenerationMovesWithContactsOnly(t *testing.T) {
	s, _ := openStore(t)
	acme := addAccount(t, s, "Acme")
	var during []uint64
	s.OnChange(func(store.Changes) { during = append(during, s.ListGeneration()) })
	before := s.ListGeneration()
	mustInsert(t, s, newContact(acme.ID, "A", "Bc", "a@example.com"))
	after := s.ListGeneration()
	if len(during) != 1 || during[0]%2 != 1 || before%2 != 0 || after != during[0]+1 {
		t.Fatalf("list generation %d, %v while told, %d after an insert", before, during, after)
	}
	g := s.Generation()
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "k", "v") }); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == g || s.ListGeneration() != after {
		t.Fatalf("a setting: generation %d → %d, list generation %d → %d", g, s.Generation(), after, s.ListGeneration())
	}
}
