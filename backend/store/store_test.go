package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

var ctx = context.Background()

func openStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "grantbook.db")
	s, err := store.Open(ctx, file)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, file
}

var t0 = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)

func addAccount(t *testing.T, s *store.Store, name string) *model.Account {
	t.Helper()
	a := &model.Account{Name: name, CreatedAt: t0}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func addService(t *testing.T, s *store.Store, accountID int64, name string) *model.Service {
	t.Helper()
	sv := &model.Service{AccountID: accountID, Name: name, Kind: "hosting", Status: "active", CreatedAt: t0}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertService(ctx, sv) }); err != nil {
		t.Fatal(err)
	}
	return sv
}

func newContact(accountID int64, first, last, email string) *model.Contact {
	return &model.Contact{AccountID: accountID, AccountType: "individual", FirstName: first, LastName: last,
		Email: email, Status: model.StatusActive, CreatedAt: t0, UpdatedAt: t0,
		Grant: model.Grant{Preset: "billing", Permissions: []string{"invoices.pay", "invoices.view"}, AllServices: true, ServiceIDs: []int64{}}}
}

func insertContact(s *store.Store, c *model.Contact) error {
	return s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertContact(ctx, c) })
}

func mustInsert(t *testing.T, s *store.Store, c *model.Contact) *model.Contact {
	t.Helper()
	if err := insertContact(s, c); err != nil {
		t.Fatalf("insert %s: %v", c.Email, err)
	}
	return c
}

func count(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpenAppliesMigrations(t *testing.T) {
	s, _ := openStore(t)
	steps, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Fatal("no migrations embedded")
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last := steps[len(steps)-1].Version; v != last {
		t.Errorf("schema version %d, want %d (the newest migration)", v, last)
	}
	for i, st := range steps {
		if (i > 0 && st.Version <= steps[i-1].Version) || st.SQL == "" || st.Name == "" {
			t.Errorf("migration %d: %+v", i, st.Version)
		}
	}
	for _, table := range []string{"accounts", "services", "contacts", "grants", "grant_services", "audit_log"} {
		if n := count(t, s, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table); n != 1 {
			t.Errorf("table %s missing after Open", table)
		}
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	s, file := openStore(t)
	a := addAccount(t, s, "Acme")
	s.Close()
	for i := 0; i < 2; i++ {
		s2, err := store.Open(ctx, file)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		steps, _ := store.Migrations()
		v, err := s2.SchemaVersion(ctx)
		if last := steps[len(steps)-1].Version; err != nil || v != last {
			t.Errorf("reopen %d: version %d, %v; want %d", i, v, err, last)
		}
		if n := count(t, s2, `SELECT count(*) FROM schema_migrations`); n != len(steps) {
			t.Errorf("reopen %d: %d rows in schema_migrations, want %d", i, n, len(steps))
		}
		got, err := s2.Account(ctx, a.ID)
		if err != nil || got.Name != "Acme" {
			t.Errorf("reopen %d: account %+v, %v", i, got, err)
		}
		s2.Close()
	}
}

func TestOpenRefusesNewerDatabase(t *testing.T) {
	s, file := openStore(t)
	steps, _ := store.Migrations()
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, steps[len(steps)-1].Version+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.Open(ctx, file)
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a database from a newer build")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q should tell the user to use a newer Grantbook", err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	// The file name goes into a SQLite URI: characters meaningful there must
	// not redirect the database to another file.
	// Subtests are numbered: t.TempDir() derives its name from the test's.
	for i, dir := range []string{"with space", "hash#1", "what?x=1", "pct%20", "amp&_foreign_keys=off"} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d := filepath.Join(t.TempDir(), dir)
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Skipf("file system refuses %q: %v", dir, err)
			}
			file := filepath.Join(d, "grantbook.db")
			s, err := store.Open(ctx, file)
			if err != nil {
				t.Fatalf("Open(%q): %v", file, err)
			}
			addAccount(t, s, "Acme")
			var fk int
			s.DB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk)
			s.Close()
			if _, err := os.Stat(file); err != nil {
				t.Errorf("database not at %q: %v", file, err)
			}
			if fk != 1 {
				t.Errorf("foreign_keys = %d with path %q", fk, file)
			}
			entries, _ := os.ReadDir(filepath.Dir(d))
			for _, e := range entries {
				if e.Name() != dir {
					t.Errorf("stray file %q next to the data directory", e.Name())
				}
			}
		})
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	s, _ := openStore(t)
	// Hold several connections at once so the pool opens more than one.
	var conns []interface{ Close() error }
	for i := 0; i < 4; i++ {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var fk int
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("connection %d: foreign_keys = %d, %v; want 1", i, fk, err)
		}
		var mode string
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("connection %d: journal_mode = %q, %v; want wal", i, mode, err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	// And the constraint really holds.
	err := s.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertService(ctx, &model.Service{AccountID: 999, Name: "orphan", Kind: "other", Status: "active", CreatedAt: t0})
	})
	if err == nil {
		t.Error("a service of a missing account was stored: foreign keys are off")
	}
}

func TestTxRollsBackEverything(t *testing.T) {
	s, _ := openStore(t)
	boom := errors.New("boom")
	var accID, contactID int64
	err := s.Tx(ctx, func(tx *store.Tx) error {
		a := &model.Account{Name: "Doomed", CreatedAt: t0}
		if err := tx.InsertAccount(ctx, a); err != nil {
			return err
		}
		accID = a.ID
		c := newContact(a.ID, "Ada", "Lovelace", "ada@example.com")
		if err := tx.InsertContact(ctx, c); err != nil {
			return err
		}
		contactID = c.ID
		// Inside the transaction both are visible.
		if _, err := tx.Contact(ctx, c.ID); err != nil {
			return fmt.Errorf("contact not visible in its own tx: %w", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want the function's error", err)
	}
	if accID == 0 || contactID == 0 {
		t.Fatal("inserts did not run")
	}
	if _, err := s.Account(ctx, accID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("account after rollback: %v, want ErrNotFound", err)
	}
	if _, err := s.Contact(ctx, contactID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("contact after rollback: %v, want ErrNotFound", err)
	}
	for _, table := range []string{"accounts", "contacts", "grants"} {
		if n := count(t, s, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%d rows in %s after rollback", n, table)
		}
	}
	// The store is still usable afterwards.
	addAccount(t, s, "Fine")
}

func TestDuplicateEmailPerAccount(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, "A")
	b := addAccount(t, s, "B")
	pairs := [][2]string{
		{"ada@example.com", "ADA@Example.COM"},
		{"élodie@x.fr", "ÉLODIE@x.fr"},
		{"jürgen@beispiel.de", "JÜRGEN@BEISPIEL.DE"},
		{"  spaced@example.com", "spaced@example.com  "},
	}
	for _, p := range pairs {
		t.Run(p[0], func(t *testing.T) {
			mustInsert(t, s, newContact(a.ID, "First", "Person", p[0]))
			before := count(t, s, `SELECT count(*) FROM contacts`)
			err := insertContact(s, newContact(a.ID, "Second", "Person", p[1]))
			if !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("second %q in same account: %v, want ErrDuplicate", p[1], err)
			}
			if n := count(t, s, `SELECT count(*) FROM contacts`); n != before {
				t.Errorf("rejected insert left %d contacts, want %d", n, before)
			}
			if err := insertContact(s, newContact(b.ID, "Other", "Account", p[1])); err != nil {
				t.Errorf("same email %q in another account: %v", p[1], err)
			}
		})
	}

	t.Run("update into a duplicate", func(t *testing.T) {
		c := mustInsert(t, s, newContact(a.ID, "Grace", "Hopper", "grace@example.com"))
		c.Email = "Ada@EXAMPLE.com"
		err := s.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateContact(ctx, c) })
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("update to a taken email: %v, want ErrDuplicate", err)
		}
		got, _ := s.Contact(ctx, c.ID)
		if got.Email != "grace@example.com" {
			t.Errorf("email after failed update = %q", got.Email)
		}
	})

	t.Run("lookup ignores case", func(t *testing.T) {
		got, err := s.ContactByEmail(ctx, "élodie@X.FR", a.ID)
		if err != nil || got.AccountID != a.ID || got.Email != "élodie@x.fr" {
			t.Errorf("ContactByEmail preferring A = %+v, %v", got, err)
		}
		got, err = s.ContactByEmail(ctx, "ÉLODIE@x.fr", b.ID)
		if err != nil || got.AccountID != b.ID {
			t.Errorf("ContactByEmail preferring B = %+v, %v", got, err)
		}
		if _, err := s.ContactByEmail(ctx, "nobody@x.fr", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown email: %v", err)
		}
	})
}

func TestContactRoundTrip(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, "A")
	s1, s2, s3 := addService(t, s, a.ID, "one"), addService(t, s, a.ID, "two"), addService(t, s, a.ID, "three")
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newContact(a.ID, "Ada", "Lovelace", "Ada@Example.com")
	c.AccountType, c.Phone, c.Company, c.Role = "company", "+44 20 7946 0000", "Analytical Ltd", "accountant"
	c.Grant = model.Grant{Preset: "custom", Permissions: []string{"quotes.view", "services.view"}, AllServices: false,
		ServiceIDs: []int64{s3.ID, s1.ID}, ExpiresAt: &exp}
	c.Admin = &model.AdminAccess{All: false, Areas: []string{"orders", "reports"}}
	mustInsert(t, s, c)

	got, err := s.Contact(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "Ada@Example.com" || got.Phone != c.Phone || got.Company != c.Company || got.Role != c.Role ||
		got.AccountType != "company" || got.FirstName != "Ada" || got.LastName != "Lovelace" || got.Status != model.StatusActive {
		t.Errorf("fields: %+v", got)
	}
	if !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) {
		t.Errorf("times %v %v, want %v", got.CreatedAt, got.UpdatedAt, t0)
	}
	if got.Grant.Preset != "custom" || !slices.Equal(got.Grant.Permissions, []string{"quotes.view", "services.view"}) || got.Grant.AllServices {
		t.Errorf("grant %+v", got.Grant)
	}
	if want := []int64{min(s1.ID, s3.ID), max(s1.ID, s3.ID)}; !slices.Equal(got.Grant.ServiceIDs, want) {
		t.Errorf("service ids %v, want %v", got.Grant.ServiceIDs, want)
	}
	if got.Grant.ExpiresAt == nil || !got.Grant.ExpiresAt.Equal(exp) {
		t.Errorf("expires %v, want %v", got.Grant.ExpiresAt, exp)
	}
	if got.Admin == nil || got.Admin.All || !slices.Equal(got.Admin.Areas, []string{"orders", "reports"}) {
		t.Errorf("admin %+v", got.Admin)
	}

	// Update replaces the grant's service selection, expiry and admin access.
	got.Grant.ServiceIDs = []int64{s2.ID}
	got.Grant.ExpiresAt = nil
	got.Admin = nil
	got.UpdatedAt = t0.Add(time.Hour)
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateContact(ctx, got) }); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Contact(ctx, c.ID)
	if !slices.Equal(again.Grant.ServiceIDs, []int64{s2.ID}) || again.Grant.ExpiresAt != nil || again.Admin != nil ||
		!again.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after update: %+v admin=%v", again.Grant, again.Admin)
	}

	// All services: the list is empty, not null.
	all := mustInsert(t, s, newContact(a.ID, "Grace", "Hopper", "grace@example.com"))
	g, _ := s.Contact(ctx, all.ID)
	if g.Grant.ServiceIDs == nil || len(g.Grant.ServiceIDs) != 0 || !g.Grant.AllServices {
		t.Errorf("all-services grant: %#v", g.Grant)
	}

	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateContact(ctx, &model.Contact{ID: 9999, Email: "x@y.z"}) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of missing contact: %v", err)
	}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteContact(ctx, 9999) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete of missing contact: %v", err)
	}
}

func TestDeleteCascades(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, "A")
	s1, s2 := addService(t, s, a.ID, "one"), addService(t, s, a.ID, "two")
	c := newContact(a.ID, "Ada", "Lovelace", "ada@example.com")
	c.Grant.AllServices, c.Grant.ServiceIDs = false, []int64{s1.ID, s2.ID}
	mustInsert(t, s, c)
	keep := newContact(a.ID, "Grace", "Hopper", "grace@example.com")
	keep.Grant.AllServices, keep.Grant.ServiceIDs = false, []int64{s1.ID}
	mustInsert(t, s, keep)

	if n := count(t, s, `SELECT count(*) FROM grant_services WHERE contact_id = ?`, c.ID); n != 2 {
		t.Fatalf("setup: %d grant_services rows, want 2", n)
	}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteContact(ctx, c.ID) }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM grants WHERE contact_id = ?`, c.ID); n != 0 {
		t.Errorf("%d grants rows left for the deleted contact", n)
	}
	if n := count(t, s, `SELECT count(*) FROM grant_services WHERE contact_id = ?`, c.ID); n != 0 {
		t.Errorf("%d grant_services rows left for the deleted contact", n)
	}
	if n := count(t, s, `SELECT count(*) FROM services`); n != 2 {
		t.Errorf("deleting a contact removed services: %d left", n)
	}
	if got, err := s.Contact(ctx, keep.ID); err != nil || !slices.Equal(got.Grant.ServiceIDs, []int64{s1.ID}) {
		t.Errorf("other contact damaged: %+v, %v", got, err)
	}
}

// seedDirectory stores a small, varied set of contacts for filter tests.
func seedDirectory(t *testing.T, s *store.Store) (a, b *model.Account, now time.Time) {
	t.Helper()
	a, b = addAccount(t, s, "A"), addAccount(t, s, "B")
	now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	exactly := now
	type row struct {
		acc                int64
		first, last, email string
		company, preset    string
		status             string
		expires            *time.Time
	}
	rows := []row{
		{a.ID, "Ada", "Lovelace", "ada@analytical.co.uk", "Analytical Ltd", "billing", model.StatusActive, nil},
		{a.ID, "Grace", "Hopper", "grace@navy.mil", "", "technical", model.StatusActive, &future},
		{a.ID, "Alan", "Turing", "alan@bletchley.uk", "Bletchley", "full", model.StatusActive, &past},
		{a.ID, "Edsger", "Dijkstra", "ewd@utexas.edu", "", "technical", model.StatusActive, &exactly},
		{a.ID, "Barbara", "Liskov", "liskov@mit.edu", "MIT", "personal", model.StatusInvited, nil},
		{a.ID, "Ken", "Thompson", "ken@bell-labs.com", "Bell Labs", "full", model.StatusSuspended, nil},
		{b.ID, "Margaret", "Hamilton", "margaret@nasa.gov", "NASA", "billing", model.StatusActive, nil},
		{b.ID, "Élodie", "Zoë", "elodie@example.fr", "Société Générale", "billing", model.StatusActive, nil},
	}
	for _, r := range rows {
		c := newContact(r.acc, r.first, r.last, r.email)
		c.Company, c.Grant.Preset, c.Status, c.Grant.ExpiresAt = r.company, r.preset, r.status, r.expires
		mustInsert(t, s, c)
	}
	return a, b, now
}

func lastNames(cs []*model.Contact) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.LastName)
	}
	slices.Sort(out)
	return out
}

func TestContactFilter(t *testing.T) {
	s, a, b := func() (*store.Store, *model.Account, *model.Account) {
		s, _ := openStore(t)
		a, b, _ := seedDirectory(t, s)
		return s, a, b
	}()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		f    store.ContactFilter
		want []string // last names, sorted
	}{
		{"everything", store.ContactFilter{}, []string{"Dijkstra", "Hamilton", "Hopper", "Liskov", "Lovelace", "Thompson", "Turing", "Zoë"}},
		{"account A", store.ContactFilter{AccountID: a.ID}, []string{"Dijkstra", "Hopper", "Liskov", "Lovelace", "Thompson", "Turing"}},
		{"account B", store.ContactFilter{AccountID: b.ID}, []string{"Hamilton", "Zoë"}},
		{"first name, other case", store.ContactFilter{Query: "GRACE"}, []string{"Hopper"}},
		{"last name substring", store.ContactFilter{Query: "ovela"}, []string{"Lovelace"}},
		{"full name across fields", store.ContactFilter{Query: "ada lovelace"}, []string{"Lovelace"}},
		{"email", store.ContactFilter{Query: "@MIT.edu"}, []string{"Liskov"}},
		{"company", store.ContactFilter{Query: "bell labs"}, []string{"Thompson"}},
		{"company in one account", store.ContactFilter{Query: "a", AccountID: b.ID}, []string{"Hamilton", "Zoë"}},
		{"query trimmed", store.ContactFilter{Query: "  turing  "}, []string{"Turing"}},
		{"no match", store.ContactFilter{Query: "nobody-matches"}, nil},
		{"preset", store.ContactFilter{Preset: "billing"}, []string{"Hamilton", "Lovelace", "Zoë"}},
		{"preset in account", store.ContactFilter{Preset: "billing", AccountID: a.ID}, []string{"Lovelace"}},
		{"active", store.ContactFilter{Status: model.StatusActive}, []string{"Hamilton", "Hopper", "Lovelace", "Zoë"}},
		{"expired (past and exactly now)", store.ContactFilter{Status: model.StatusExpired}, []string{"Dijkstra", "Turing"}},
		{"invited", store.ContactFilter{Status: model.StatusInvited}, []string{"Liskov"}},
		{"suspended", store.ContactFilter{Status: model.StatusSuspended}, []string{"Thompson"}},
		{"combined", store.ContactFilter{Status: model.StatusActive, Preset: "technical", Query: "navy"}, []string{"Hopper"}},
		{"unicode name, same case", store.ContactFilter{Query: "Élodie"}, []string{"Zoë"}},
		{"unicode name, other case", store.ContactFilter{Query: "élodie"}, []string{"Zoë"}},
		{"unicode last name, upper case", store.ContactFilter{Query: "ZOË"}, []string{"Zoë"}},
		{"unicode company, other case", store.ContactFilter{Query: "SOCIÉTÉ"}, []string{"Zoë"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.f.Now, c.f.Limit = now, 100
			got, total, err := s.Contacts(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if names := lastNames(got); !slices.Equal(names, c.want) {
				t.Errorf("got %q, want %q", names, c.want)
			}
			if total != len(c.want) {
				t.Errorf("total %d, want %d", total, len(c.want))
			}
		})
	}

	t.Run("expiry moves with Now", func(t *testing.T) {
		// A day later Grace's grant has expired too.
		got, _, err := s.Contacts(ctx, store.ContactFilter{Status: model.StatusExpired, Now: now.Add(24 * time.Hour), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if names := lastNames(got); !slices.Equal(names, []string{"Dijkstra", "Hopper", "Turing"}) {
			t.Errorf("expired a day later: %q", names)
		}
		// A second before Dijkstra's expiry, he is still active.
		got, _, _ = s.Contacts(ctx, store.ContactFilter{Status: model.StatusActive, Now: now.Add(-time.Second), Limit: 100})
		if !slices.Contains(lastNames(got), "Dijkstra") {
			t.Errorf("active a second before expiry: %q", lastNames(got))
		}
	})
}

func TestContactPaging(t *testing.T) {
	s, _ := openStore(t)
	seedDirectory(t, s)
	all, total, err := s.Contacts(ctx, store.ContactFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) || total < 5 {
		t.Fatalf("setup: %d contacts, total %d", len(all), total)
	}
	// Ordered by last name, then first name.
	for i := 1; i < len(all); i++ {
		if strings.ToLower(all[i-1].LastName) > strings.ToLower(all[i].LastName) {
			t.Errorf("not ordered by last name: %q before %q", all[i-1].LastName, all[i].LastName)
		}
	}
	var paged []int64
	for off := 0; off < total+3; off += 3 {
		page, tot, err := s.Contacts(ctx, store.ContactFilter{Limit: 3, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		if tot != total {
			t.Errorf("offset %d: total %d, want %d (total counts every match, not the page)", off, tot, total)
		}
		if want := max(0, min(3, total-off)); len(page) != want {
			t.Errorf("offset %d: %d rows, want %d", off, len(page), want)
		}
		for _, c := range page {
			paged = append(paged, c.ID)
		}
	}
	var ids []int64
	for _, c := range all {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(paged, ids) {
		t.Errorf("pages %v do not add up to the full listing %v", paged, ids)
	}
}

func TestLikeWildcardsAreLiteral(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, "A")
	add := func(first, last, email, company string) {
		c := newContact(a.ID, first, last, email)
		c.Company = company
		mustInsert(t, s, c)
	}
	add("Percent", "Sign", "p@example.com", "100% Pure")
	add("No", "Percent", "np@example.com", "100 Pure")
	add("Under", "Score", "a_b@example.com", "")
	add("No", "Underscore", "axb@example.com", "")
	add("Back", "Slash", "bs@example.com", `C:\Temp`)
	add("Plain", "Temp", "temp@example.com", "CTemp")

	cases := []struct {
		q    string
		want []string
	}{
		{"%", []string{"Sign"}},
		{"100%", []string{"Sign"}},
		{"_", []string{"Score"}},
		{"a_b", []string{"Score"}},
		{`\`, []string{"Slash"}},
		{`c:\t`, []string{"Slash"}},
		{`\%`, nil},
		{"%%%", nil},
	}
	for _, c := range cases {
		got, total, err := s.Contacts(ctx, store.ContactFilter{Query: c.q, Limit: 100})
		if err != nil {
			t.Fatalf("query %q: %v", c.q, err)
		}
		if names := lastNames(got); !slices.Equal(names, c.want) || total != len(c.want) {
			t.Errorf("query %q: got %q (total %d), want %q", c.q, names, total, c.want)
		}
	}
}

func TestInjectionStringsStoredVerbatim(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, `Acme'); DROP TABLE accounts;--`)
	evil := []string{
		`Robert'); DROP TABLE contacts;--`,
		`" OR 1=1 --`,
		`' OR '1'='1`,
		"x'; DELETE FROM grants WHERE '1'='1",
	}
	c := newContact(a.ID, evil[0], evil[1], "bobby@tables.example")
	c.Company, c.Role = evil[2], evil[3]
	mustInsert(t, s, c)
	other := mustInsert(t, s, newContact(a.ID, "Plain", "Person", "plain@example.com"))

	got, err := s.Contact(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != evil[0] || got.LastName != evil[1] || got.Company != evil[2] || got.Role != evil[3] {
		t.Errorf("stored %q %q %q %q", got.FirstName, got.LastName, got.Company, got.Role)
	}
	acc, err := s.Account(ctx, a.ID)
	if err != nil || acc.Name != `Acme'); DROP TABLE accounts;--` || acc.ContactCount != 2 {
		t.Errorf("account %+v, %v", acc, err)
	}
	for _, q := range evil[:3] { // q searches name and company, not role
		res, total, err := s.Contacts(ctx, store.ContactFilter{Query: q, Limit: 100})
		if err != nil {
			t.Fatalf("query %q: %v", q, err)
		}
		if total != 1 || len(res) != 1 || res[0].ID != c.ID {
			t.Errorf("query %q matched %d contacts (total %d), want only the one holding it", q, len(res), total)
		}
	}
	for _, q := range []string{`' OR '1'='1' --`, `') OR 1=1 --`} {
		res, _, err := s.Contacts(ctx, store.ContactFilter{Query: q, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.ID == other.ID {
				t.Errorf("query %q matched an unrelated contact", q)
			}
		}
	}
	if res, _, err := s.Contacts(ctx, store.ContactFilter{Preset: `billing' OR '1'='1`, Status: `active' --`, Limit: 10}); err != nil || len(res) != 0 {
		t.Errorf("filter with quotes: %d rows, %v; want none", len(res), err)
	}
	for _, table := range []string{"accounts", "contacts", "grants"} {
		if n := count(t, s, `SELECT count(*) FROM sqlite_master WHERE name = ?`, table); n != 1 {
			t.Errorf("table %s is gone", table)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM grants`); n != 2 {
		t.Errorf("%d grants, want 2", n)
	}
}

func TestAccountsAndServices(t *testing.T) {
	s, _ := openStore(t)
	z := addAccount(t, s, "zeta")
	a := addAccount(t, s, "Alpha")
	addService(t, s, a.ID, "web")
	addService(t, s, a.ID, "Domain")
	mustInsert(t, s, newContact(a.ID, "Ada", "L", "ada@example.com"))

	accs, err := s.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accs) != 2 || accs[0].ID != a.ID || accs[1].ID != z.ID {
		t.Fatalf("accounts not ordered by name ignoring case: %+v", accs)
	}
	if accs[0].ServiceCount != 2 || accs[0].ContactCount != 1 || accs[1].ServiceCount != 0 || accs[1].ContactCount != 0 {
		t.Errorf("counts: %+v %+v", accs[0], accs[1])
	}
	svcs, err := s.Services(ctx, a.ID)
	if err != nil || len(svcs) != 2 || svcs[0].Name != "Domain" || svcs[1].Name != "web" {
		t.Errorf("services %+v, %v", svcs, err)
	}
	if svcs, _ := s.Services(ctx, z.ID); svcs == nil || len(svcs) != 0 {
		t.Errorf("services of an empty account = %#v, want empty non-nil", svcs)
	}
	if _, err := s.Service(ctx, 12345); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing service: %v", err)
	}
	if _, err := s.Account(ctx, 12345); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing account: %v", err)
	}
	// The schema refuses a blank name even if a caller forgets to check.
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, &model.Account{Name: "   ", CreatedAt: t0}) }); err == nil {
		t.Error("blank account name stored")
	}
}

func TestAudit(t *testing.T) {
	s, _ := openStore(t)
	type payload struct {
		Email string `json:"email"`
	}
	entries := []*model.AuditEntry{
		{At: t0, Actor: "owner", Action: "contact.create", Entity: "contact", EntityID: 1, Summary: "one", After: payload{"a@x.y"}},
		{At: t0.Add(time.Minute), Actor: "alice", Action: "contact.update", Entity: "contact", EntityID: 1, Summary: "two",
			Before: payload{"a@x.y"}, After: payload{"b@x.y"}},
		{At: t0.Add(2 * time.Minute), Actor: "owner", Action: "account.create", Entity: "account", EntityID: 1, Summary: "three", After: payload{}},
		{At: t0.Add(3 * time.Minute), Actor: "owner", Action: "contact.delete", Entity: "contact", EntityID: 2, Summary: "four", Before: payload{"c@x.y"}},
	}
	for _, e := range entries {
		if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAudit(ctx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	got, total, err := s.Audit(ctx, store.AuditFilter{Limit: 10})
	if err != nil || total != 4 || len(got) != 4 {
		t.Fatalf("audit: %d entries, total %d, %v", len(got), total, err)
	}
	for i, want := range []string{"four", "three", "two", "one"} {
		if got[i].Summary != want {
			t.Errorf("entry %d is %q, want %q (newest first)", i, got[i].Summary, want)
		}
	}
	if got[2].Actor != "alice" || !got[2].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("entry fields %+v", got[2])
	}
	if got[0].After != nil || got[0].Before == nil || got[3].Before != nil || got[3].After == nil {
		t.Errorf("before/after presence wrong: %+v / %+v", got[0], got[3])
	}
	if raw, ok := got[2].Before.(json.RawMessage); !ok || !strings.Contains(string(raw), `"a@x.y"`) {
		t.Errorf("before = %#v, want the JSON of the stored value", got[2].Before)
	}
	byEntity, total, _ := s.Audit(ctx, store.AuditFilter{Entity: "contact", EntityID: 1, Limit: 10})
	if total != 2 || len(byEntity) != 2 {
		t.Errorf("contact 1: %d entries, total %d", len(byEntity), total)
	}
	page, total, _ := s.Audit(ctx, store.AuditFilter{Limit: 1, Offset: 1})
	if total != 4 || len(page) != 1 || page[0].Summary != "three" {
		t.Errorf("page: %+v total %d", page, total)
	}
}
