package store_test

import (
	"slices"
	"testing"

	"grantbook/backend/store"
)

// What a transaction changed reaches OnChange after it commits, whichever
// statement made the change: one row, many rows at once, or a cascade.
// Writes made outside the writer (DB) are told with the next transaction.
func TestChangesOfBulkStatementsAndCascades(t *testing.T) {
	s, _ := openStore(t)
	acme, beta := addAccount(t, s, "Acme"), addAccount(t, s, "Beta")
	web := addService(t, s, acme.ID, "web")
	var ids []int64
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		c := newContact(acme.ID, "C", "Ontact", email)
		if i < 2 {
			c.Grant.AllServices, c.Grant.ServiceIDs = false, []int64{web.ID}
		}
		ids = append(ids, mustInsert(t, s, c).ID)
	}
	other := mustInsert(t, s, newContact(beta.ID, "O", "Ther", "o@example.com")).ID

	var got []store.Changes
	s.OnChange(func(c store.Changes) { got = append(got, c) })
	after := func(stmt string, args ...any) store.Changes {
		t.Helper()
		got = nil
		if _, err := s.DB().Exec(stmt, args...); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		if err := s.Tx(ctx, func(tx *store.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s: told %d times, want once", stmt, len(got))
		}
		return got[0]
	}
	sorted := func(v []int64) []int64 { v = slices.Clone(v); slices.Sort(v); return v }

	if c := after(`UPDATE contacts SET status = 'suspended' WHERE account_id = ?`, acme.ID); !slices.Equal(sorted(c.Contacts), ids) {
		t.Errorf("bulk update: contacts %v, want %v", c.Contacts, ids)
	}
	c := after(`DELETE FROM services WHERE id = ?`, web.ID)
	if !slices.Equal(sorted(c.Contacts), ids[:2]) || !slices.Equal(c.Services, []int64{web.ID}) {
		t.Errorf("service removed (its grant_services cascade): contacts %v, services %v; want %v, [%d]", c.Contacts, c.Services, ids[:2], web.ID)
	}
	c = after(`DELETE FROM accounts WHERE id = ?`, acme.ID)
	if !slices.Equal(sorted(c.Contacts), ids) || !slices.Contains(c.Accounts, acme.ID) {
		t.Errorf("account removed (contacts cascade): contacts %v, accounts %v; want %v and %d", c.Contacts, c.Accounts, ids, acme.ID)
	}
	if slices.Contains(c.Contacts, other) {
		t.Errorf("another account's contact %d reported", other)
	}
	got = nil
	if err := s.Tx(ctx, func(tx *store.Tx) error { return nil }); err != nil || len(got) != 0 {
		t.Errorf("a transaction that changed nothing: told %v (%v)", got, err)
	}
}
