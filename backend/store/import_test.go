package store_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// The importer writes the same rows as InsertContact, one by one.
// In both kinds of transaction, and in a full batch (which ImportTx writes
// through the driver) as in a partial one.
func TestContactImporterMatchesInsertContact(t *testing.T) {
	for _, kind := range []string{"Tx", "ImportTx"} {
		for _, n := range []int{1, 64} {
			t.Run(fmt.Sprint(kind, n), func(t *testing.T) { testImporterMatchesInsertContact(t, kind, n) })
		}
	}
}

func testImporterMatchesInsertContact(t *testing.T, kind string, n int) {
	s, _ := openStore(t)
	run := s.Tx
	if kind == "ImportTx" {
		run = s.ImportTx
	}
	acc := addAccount(t, s, "Acme")
	web, dns := addService(t, s, acc.ID, "web"), addService(t, s, acc.ID, "dns")
	exp := t0.AddDate(1, 0, 0)
	mk := func(email string) *model.Contact {
		c := newContact(acc.ID, "Ada", "Lovelace", email)
		c.Phone, c.Company, c.Role = "+44 1234 5678", "Analytical", "accountant"
		c.Grant = model.Grant{Preset: "custom", Permissions: []string{"services.view"}, ServiceIDs: []int64{web.ID, dns.ID}, ExpiresAt: &exp}
		c.Admin = &model.AdminAccess{Areas: []string{"orders"}}
		return c
	}
	one := mustInsert(t, s, mk("one@example.com"))
	var two *model.Contact
	err := run(ctx, func(tx *store.Tx) error {
		im, err := tx.NewContactImporter(ctx, 1000)
		if err != nil {
			return err
		}
		defer im.Close()
		for i := range n {
			c := mk(fmt.Sprintf("Two%d@Example.com", i))
			if err := im.Insert(ctx, c); err != nil {
				return err
			}
			if i == n/2 {
				two = c
			}
		}
		return im.Finish(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Contact(ctx, one.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Contact(ctx, two.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.ID, b.Email = a.ID, a.Email
	if fmt.Sprint(*a.Admin) != fmt.Sprint(*b.Admin) {
		t.Errorf("admin access differs: %v, %v", *a.Admin, *b.Admin)
	}
	a.Admin, b.Admin = nil, nil
	if fmt.Sprintf("%+v", *a) != fmt.Sprintf("%+v", *b) {
		t.Errorf("imported row differs:\n%+v %+v\n%+v %+v", a, a.Grant, b, b.Grant)
	}
	if c, err := s.ContactByEmail(ctx, fmt.Sprintf("two%d@example.com", n/2), acc.ID); err != nil || c.ID != two.ID {
		t.Errorf("email key of the imported contact: %v %v", c, err)
	}
	// A duplicate fails the import: its batch's flush, or the rebuild of
	// the unique index the import dropped (rows > stored).
	for _, rows := range []int{1000, 1} {
		err = run(ctx, func(tx *store.Tx) error {
			im, err := tx.NewContactImporter(ctx, rows)
			if err != nil {
				return err
			}
			defer im.Close()
			for i := range n {
				email := fmt.Sprintf("three%d@example.com", i)
				if i == n/2 {
					email = "ONE@example.com"
				}
				if err := im.Insert(ctx, mk(email)); err != nil {
					return err
				}
			}
			return im.Finish(ctx)
		})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("duplicate (%d rows announced): %v", rows, err)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM contacts"); got != 1+n {
		t.Errorf("%d contacts after the failed imports, want %d", got, 1+n)
	}
}

// Full batches and a partial one, ids in order after existing contacts, in
// an ordinary transaction and in one without foreign keys (ImportTx).
func TestContactImporterBatches(t *testing.T) {
	for _, kind := range []string{"Tx", "ImportTx"} {
		t.Run(kind, func(t *testing.T) { testImporterBatches(t, kind) })
	}
}

func testImporterBatches(t *testing.T, kind string) {
	s, _ := openStore(t)
	run := s.Tx
	if kind == "ImportTx" { // without foreign keys: the importer checks them
		run = s.ImportTx
	}
	acc := addAccount(t, s, "Acme")
	svc := addService(t, s, acc.ID, "web")
	first := mustInsert(t, s, newContact(acc.ID, "A", "B", "first@example.com"))
	const n = 64*3 + 5
	var ids []int64
	err := run(ctx, func(tx *store.Tx) error {
		return importEach(tx, n, func(i int) *model.Contact {
			c := newContact(acc.ID, "A", fmt.Sprint("B", i), fmt.Sprintf("b%d@example.com", i))
			if i%2 == 0 {
				c.Grant.AllServices, c.Grant.ServiceIDs = false, []int64{svc.ID}
			}
			if i%3 == 0 { // between rows with no end (NULL, not bound): none may inherit it
				end := t0.AddDate(0, 0, 30+i)
				c.Grant.ExpiresAt = &end
			}
			return c
		}, func(c *model.Contact) { ids = append(ids, c.ID) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != first.ID+1 || ids[n-1] != first.ID+n {
		t.Errorf("ids %d..%d after %d", ids[0], ids[n-1], first.ID)
	}
	for i, id := range ids {
		c, err := s.Contact(ctx, id)
		if err != nil || c.LastName != fmt.Sprint("B", i) || c.Email != fmt.Sprintf("b%d@example.com", i) || (i%2 == 0) != !c.Grant.AllServices || (i%2 == 0 && !slices.Equal(c.Grant.ServiceIDs, []int64{svc.ID})) {
			t.Fatalf("contact %d: %+v %v", i, c, err)
		}
		if end := c.Grant.ExpiresAt; (i%3 == 0) != (end != nil) || (end != nil && !end.Equal(t0.AddDate(0, 0, 30+i))) {
			t.Fatalf("contact %d ends %v", i, end)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM grant_services"); got != (n+1)/2 {
		t.Errorf("%d grant_services rows", got)
	}
}

// importEach imports n contacts made by mk in tx, telling done each one.
func importEach(tx *store.Tx, n int, mk func(i int) *model.Contact, done func(*model.Contact)) error {
	im, err := tx.NewContactImporter(ctx, 1000)
	if err != nil {
		return err
	}
	defer im.Close()
	for i := range n {
		c := mk(i)
		if err := im.Insert(ctx, c); err != nil {
			return err
		}
		done(c)
	}
	return im.Finish(ctx)
}

// A rolled back import leaves nothing behind.
func TestContactImporterRollsBack(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	err := s.Tx(ctx, func(tx *store.Tx) error {
		im, err := tx.NewContactImporter(ctx, 1000)
		if err != nil {
			return err
		}
		defer im.Close()
		for i := range 10 {
			if err := im.Insert(ctx, newContact(acc.ID, "A", "B", fmt.Sprintf("a%d@example.com", i))); err != nil {
				return err
			}
		}
		if err := im.Flush(ctx); err != nil {
			return err
		}
		return errors.New("stop")
	})
	if err == nil || err.Error() != "stop" {
		t.Fatal(err)
	}
	for _, table := range []string{"contacts", "grants", "grant_services"} {
		if n := count(t, s, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%s has %d rows after a rollback", table, n)
		}
	}
	// The list indexes the import dropped come back with the rollback.
	if n := count(t, s, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('contacts_order', 'contacts_account_order')`); n != 2 {
		t.Errorf("%d of the 2 list indexes after a rolled-back import", n)
	}
}

// A large import drops the list indexes and rebuilds them, identical, and
// they serve the listing afterwards.
// The indexes an import drops (the list indexes; for a bulk import every
// index of its tables) are all there again after it, and agree with the rows.
func TestContactImporterRebuildsIndexes(t *testing.T) {
	for _, n := range []int{300, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { testImporterRebuildsIndexes(t, n) })
	}
}

func testImporterRebuildsIndexes(t *testing.T, n int) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	indexSQL := func() string {
		var all string
		s.DB().QueryRow(`SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master WHERE type = 'index'
			AND tbl_name IN ('contacts', 'grants', 'grant_services') ORDER BY name)`).Scan(&all)
		return all
	}
	before := indexSQL()
	err := s.Tx(ctx, func(tx *store.Tx) error {
		im, err := tx.NewContactImporter(ctx, n)
		if err != nil {
			return err
		}
		defer im.Close()
		for i := range n {
			if err := im.Insert(ctx, newContact(acc.ID, fmt.Sprintf("F%04d", i), fmt.Sprintf("L%04d", n-1-i), fmt.Sprintf("a%d@example.com", i))); err != nil {
				return err
			}
		}
		return im.Finish(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := indexSQL(); after != before || strings.Count(before, "CREATE") < 7 {
		t.Errorf("indexes after the import:\n%s\nwant\n%s", after, before)
	}
	var check string
	if err := s.DB().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity check: %s %v", check, err)
	}
	cs, total, err := s.Contacts(ctx, store.ContactFilter{AccountID: acc.ID, Limit: 2})
	if err != nil || total != n || len(cs) != 2 || cs[0].LastName != "L0000" || cs[1].LastName != "L0001" {
		t.Errorf("first page after the import: %d of %d, %v", len(cs), total, err)
	}
	if c, err := s.ContactByEmail(ctx, "A7@example.com", acc.ID); err != nil || c.FirstName != "F0007" {
		t.Errorf("by email after the import: %v %v", c, err)
	}
}

func TestEachContactAndEmailKeys(t *testing.T) {
	s, _ := openStore(t)
	acc, other := addAccount(t, s, "Acme"), addAccount(t, s, "Other")
	web, dns := addService(t, s, acc.ID, "web"), addService(t, s, acc.ID, "dns")
	z := newContact(acc.ID, "Zed", "Zulu", "Zed@Example.com")
	z.Grant.AllServices, z.Grant.ServiceIDs = false, []int64{dns.ID, web.ID}
	mustInsert(t, s, z)
	mustInsert(t, s, newContact(other.ID, "Other", "Person", "o@example.com"))
	mustInsert(t, s, newContact(acc.ID, "Amy", "Adams", "amy@example.com"))
	var got []string
	err := s.EachContact(ctx, acc.ID, func(c *model.Contact) error {
		got = append(got, fmt.Sprintf("%s %v %v", c.Email, c.Grant.AllServices, c.Grant.ServiceIDs))
		return nil
	})
	want := []string{fmt.Sprintf("Zed@Example.com false [%d %d]", web.ID, dns.ID), "amy@example.com true []"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("EachContact: %q %v, want %q", got, err, want)
	}
	stop := errors.New("stop")
	if err := s.EachContact(ctx, acc.ID, func(*model.Contact) error { return stop }); err != stop {
		t.Errorf("EachContact does not pass fn's error on: %v", err)
	}
	keys := map[string]bool{}
	err = s.EachEmailKey(ctx, acc.ID, func(k string) { keys[k] = true })
	if err != nil || len(keys) != 2 || !keys["zed@example.com"] || !keys["amy@example.com"] {
		t.Errorf("EachEmailKey: %v %v", keys, err)
	}
	for k, want := range map[string]bool{"zed@example.com": true, "o@example.com": false, "nobody@example.com": false} {
		if got, err := s.EmailKeyTaken(ctx, acc.ID, k); err != nil || got != want {
			t.Errorf("EmailKeyTaken(%s) = %v %v", k, got, err)
		}
	}
}

// The search's ASCII fast path finds exactly what strings.ToLower on both
// sides finds, including the two characters that lower to ASCII.
func TestSearchMatchesUnicodeLowerExactly(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	people := [][3]string{ // first, last, company
		{"Ada", "SMITH", ""}, {"\u212Aarl", "Kelvin", ""}, {"\u0130smail", "Yılmaz", "İstanbul Ltd"},
		{"ÉLODIE", "Dupont", "Société"}, {"Bob", "O'Brien", "K&K"}, {"Zoë", "Smith-Jones", "100%_real"},
	}
	for i, p := range people {
		c := newContact(acc.ID, p[0], p[1], fmt.Sprintf("p%d@example.com", i))
		c.Company = p[2]
		mustInsert(t, s, c)
	}
	for _, q := range []string{"smith", "SMITH", "karl", "k", "ki", "i", "ismail", "istanbul", "élodie", "ÉLO", "soci",
		"o'b", "k&k", "100%", "%", "_", "real", "p3@", "EXAMPLE", "zzz", "ı", "lmaz"} {
		var want []string
		for i, p := range people {
			hay := strings.ToLower(p[0] + " " + p[1] + "\n" + fmt.Sprintf("p%d@example.com", i) + "\n" + p[2])
			if strings.Contains(hay, strings.ToLower(q)) {
				want = append(want, fmt.Sprintf("p%d@example.com", i))
			}
		}
		cs, total, err := s.Contacts(ctx, store.ContactFilter{Query: q, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.Email)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || total != len(want) {
			t.Errorf("q=%q: %v (total %d), want %v", q, got, total, want)
		}
	}
}

// Without foreign keys (ImportTx) the importer checks the accounts and
// services itself, and a duplicate rolls everything back; the writer has
// its foreign keys again afterwards (the rows it writes: TestContactImporterBatches).
func TestContactImporterWithoutForeignKeys(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	svc := addService(t, s, acc.ID, "web")
	first := mustInsert(t, s, newContact(acc.ID, "A", "B", "first@example.com"))
	stored := count(t, s, "SELECT count(*) FROM contacts")
	links := count(t, s, "SELECT count(*) FROM grant_services")

	bad := map[string]func(c *model.Contact){
		"unknown service": func(c *model.Contact) { c.Grant.AllServices, c.Grant.ServiceIDs = false, []int64{svc.ID + 100} },
		"unknown account": func(c *model.Contact) { c.AccountID = acc.ID + 100 },
		"duplicate":       func(c *model.Contact) { c.Email = "FIRST@example.com" },
	}
	for name, spoil := range bad {
		err := s.ImportTx(ctx, func(tx *store.Tx) error {
			return importEach(tx, 100, func(i int) *model.Contact {
				c := newContact(acc.ID, "C", "D", fmt.Sprintf("%s%d@example.com", strings.ReplaceAll(name, " ", "."), i))
				if i == 70 { // in the second batch
					spoil(c)
				}
				return c
			}, func(*model.Contact) {})
		})
		want := store.ErrNotFound
		if name == "duplicate" {
			want = store.ErrDuplicate
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if got := count(t, s, "SELECT count(*) FROM contacts"); got != stored {
			t.Errorf("%s: %d contacts after the failed import, was %d", name, got, stored)
		}
		if got := count(t, s, "SELECT count(*) FROM grant_services"); got != links {
			t.Errorf("%s: %d grant_services rows after the failed import, was %d", name, got, links)
		}
	}
	// The writer checks foreign keys again.
	err := s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO grant_services (contact_id, service_id) VALUES (?, ?)`, first.ID, svc.ID+100)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a dangling reference after the imports: %v", err)
	}
}

// Without foreign keys the grants take the ids SQLite gives, the next after
// the largest grant's: that is the contact's only while the largest contact
// has its grant. When it lacks one, the grants take their contacts' ids.
func TestContactImporterGrantIDs(t *testing.T) {
	for _, lacking := range []bool{false, true} {
		t.Run(fmt.Sprint("last contact without grant: ", lacking), func(t *testing.T) {
			s, _ := openStore(t)
			acc := addAccount(t, s, "Acme")
			mustInsert(t, s, newContact(acc.ID, "A", "B", "first@example.com"))
			last := mustInsert(t, s, newContact(acc.ID, "A", "B", "last@example.com"))
			if lacking {
				if err := s.Tx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, `DELETE FROM grants WHERE contact_id = ?`, last.ID)
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			const n = 64*2 + 3
			var ids []int64
			err := s.ImportTx(ctx, func(tx *store.Tx) error {
				return importEach(tx, n, func(i int) *model.Contact {
					c := newContact(acc.ID, "C", fmt.Sprint("D", i), fmt.Sprintf("d%d@example.com", i))
					c.Grant.Preset, c.Grant.Permissions = "custom", []string{fmt.Sprintf("p%d.view", i)}
					return c
				}, func(c *model.Contact) { ids = append(ids, c.ID) })
			})
			if err != nil {
				t.Fatal(err)
			}
			if ids[0] != last.ID+1 {
				t.Errorf("first id %d after %d", ids[0], last.ID)
			}
			for i, id := range ids {
				var perms string
				if err := s.DB().QueryRowContext(ctx, `SELECT permissions FROM grants WHERE contact_id = ?`, id).Scan(&perms); err != nil || perms != fmt.Sprintf("p%d.view", i) {
					t.Fatalf("contact %d (line %d): grant %q, %v", id, i, perms, err)
				}
			}
			want := n + 2
			if lacking {
				want--
			}
			if got := count(t, s, "SELECT count(*) FROM grants"); got != want {
				t.Errorf("%d grants, want %d", got, want)
			}
		})
	}
}

// An import's commit leaves copying its pages into the database to the
// writer's next commit (SQLite's checkpoint), whose setting comes back.
func TestImportTxLeavesTheCheckpointToTheNextCommit(t *testing.T) {
	s, file := openStore(t)
	acc := addAccount(t, s, "Acme")
	size := func() int64 {
		st, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size()
	err := s.ImportTx(ctx, func(tx *store.Tx) error { // about 1,500 pages: past the 1,000 that checkpoint
		return importEach(tx, 10_000, func(i int) *model.Contact {
			return newContact(acc.ID, "A", fmt.Sprint("B", i), fmt.Sprintf("b%d@example.com", i))
		}, func(*model.Contact) {})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := size(); got != before {
		t.Errorf("the import's commit checkpointed: the database grew from %d to %d bytes", before, got)
	}
	mustInsert(t, s, newContact(acc.ID, "C", "D", "c@example.com"))
	if got := size(); got <= before {
		t.Errorf("the next commit did not checkpoint: the database stayed at %d bytes", got)
	}
	if got := count(t, s, "SELECT count(*) FROM contacts"); got != 10_001 {
		t.Errorf("%d contacts", got)
	}
}
