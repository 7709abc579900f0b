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

// The generation is odd while a commit that changes what caches hold is on
// its way to them (from before the commit until OnChange is told), and
// moves on once more after: a reader who saw it even and unchanged around
// a query knows that no such commit overlapped it. A commit that changes
// nothing cached leaves it alone.
func TestGenerationSpansTheCommitsWindow(t *testing.T) {
	s, _ := openStore(t)
	acme := addAccount(t, s, "Acme")
	var during []uint64
	s.OnChange(func(store.Changes) { during = append(during, s.Generation()) })
	before := s.Generation()
	if before%2 != 0 {
		t.Fatalf("generation %d at rest", before)
	}
	mustInsert(t, s, newContact(acme.ID, "A", "Bc", "a@example.com"))
	if len(during) != 1 || during[0]%2 != 1 || during[0] <= before {
		t.Errorf("generation told %v, before %d: want one odd value after it", during, before)
	}
	if g := s.Generation(); g%2 != 0 || g <= during[0] {
		t.Errorf("generation %d after the commit (%d during it)", g, during[0])
	}
	g := s.Generation()
	if err := s.Tx(ctx, func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if s.Generation() != g {
		t.Errorf("an empty transaction moved the generation %d → %d", g, s.Generation())
	}
}
