package core_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/model"
	"grantbook/backend/secret"
	"grantbook/backend/store"
)

// The counts and marks of the listings without a grant or search filter
// follow the contacts' changes instead of being read again: after random
// inserts, deletes, renames, edits that leave the order alone,
// suspensions, invitations and account moves, every mark held is the
// contact at its offset, every offset= page (after those marks) is the
// page read from the start, and every total is count(*). A bulk import
// drops them all.
func TestListingsFollowChanges(t *testing.T) {
	defer core.SetListMarkEveryForTest(3)()
	f := newFixture(t)
	s := f.app.StoreForTest()
	rng := rand.New(rand.NewPCG(9, 22))
	lasts := []string{"Smith", "smith", "Ab", "Zed", "Émile", "O'Neil", "Aaron", "zz", "SMITH"}
	firsts := []string{"Ann", "ann", "Bo", "ANN"}
	var ids []int64
	n := 0
	create := func() {
		in := f.input()
		in.FirstName, in.LastName, in.Email = firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))], fmt.Sprintf("p%d@example.com", n)
		if n++; rng.IntN(3) == 0 {
			in.AccountID = f.other.ID
		}
		ids = append(ids, must(f.app.CreateContact(bg, in)).ID)
	}
	exec := func(query string, args ...any) {
		t.Helper()
		if err := s.Tx(bg, func(tx *store.Tx) error { _, err := tx.Exec(bg, query, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	for range 30 {
		create()
	}
	var listings []core.ContactFilter
	for _, acct := range []int64{0, f.acc.ID, f.other.ID} {
		for _, status := range []string{"", model.StatusSuspended, model.StatusInvited} {
			listings = append(listings, core.ContactFilter{AccountID: acct, Status: status, Limit: 2})
		}
	}
	// marksRight checks each mark held against the contact at its offset.
	marksRight := func(when string) (held bool) {
		t.Helper()
		for _, l := range listings {
			mids, offs, ok := f.app.ListMarksForTest(l)
			held = held || (ok && l.AccountID == 0 && l.Status == "")
			for i, off := range offs {
				want, _, err := s.PageIDs(bg, store.ContactFilter{AccountID: l.AccountID, Status: l.Status, Limit: 1, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				if len(want) != 1 || want[0] != mids[i] {
					t.Fatalf("%s, %+v: mark %d is contact %d at offset %d; that offset holds %v", when, l, i, mids[i], off, want)
				}
			}
		}
		return held
	}
	pass := func(when string) {
		t.Helper()
		for _, l := range listings {
			checkOffsets(t, f, l, when)
			sf := l
			sf.Now = f.now
			want, err := s.CountContacts(bg, sf)
			if err != nil {
				t.Fatal(err)
			}
			if p := must(f.app.ContactPage(bg, l, "")); p.Total != want.N {
				t.Fatalf("%s, %+v: total %d, count(*) %d", when, l, p.Total, want.N)
			}
		}
		f.app.WaitListMarksForTest() // the marks of listings that had none
	}
	pass("at first")
	if !marksRight("at first") {
		t.Fatal("no marks were read for the whole list")
	}
	kinds, kept := map[string]int{}, 0
	for step := range 80 {
		pick := func() (int, int64) { i := rng.IntN(len(ids)); return i, ids[i] }
		var what string
		switch rng.IntN(8) {
		case 0:
			what = "insert"
			create()
		case 1:
			what = "delete"
			i, id := pick()
			must(0, f.app.DeleteContact(bg, id))
			ids = slices.Delete(ids, i, i+1)
		case 2:
			what = "rename"
			_, id := pick()
			last, first := lasts[rng.IntN(len(lasts))], firsts[rng.IntN(len(firsts))]
			must(f.app.UpdateContact(bg, id, core.ContactPatch{LastName: &last, FirstName: &first}))
		case 3:
			what = "edit"
			_, id := pick()
			phone := fmt.Sprintf("+44 20 7946 %04d", step)
			must(f.app.UpdateContact(bg, id, core.ContactPatch{Phone: &phone}))
		case 4:
			what = "suspend or reinstate"
			_, id := pick()
			status := []string{model.StatusSuspended, model.StatusActive}[rng.IntN(2)]
			must(f.app.UpdateContact(bg, id, core.ContactPatch{Status: &status}))
		case 5:
			what = "invite" // as a sync applies it: no product path sets it back
			_, id := pick()
			exec(`UPDATE contacts SET status = 'invited' WHERE id = ?`, id)
		case 6:
			what = "account move" // as a sync applies it
			_, id := pick()
			exec(`UPDATE contacts SET account_id = CASE account_id WHEN ? THEN ? ELSE ? END WHERE id = ?`, f.acc.ID, f.other.ID, f.acc.ID, id)
		case 7:
			what = "two in one transaction" // a rename and a move of the same contact
			_, id := pick()
			exec(`UPDATE contacts SET last_name = 'Aa' || last_name WHERE id = ?`, id)
			_, id2 := pick()
			exec(`UPDATE contacts SET last_name = 'Zz', account_id = ? WHERE id = ?; DELETE FROM contacts WHERE id = ? AND id <> ?`,
				f.other.ID, id2, id, id2)
			if id != id2 {
				ids = slices.DeleteFunc(ids, func(x int64) bool { return x == id })
			}
		}
		kinds[what]++
		when := fmt.Sprintf("step %d (%s)", step, what)
		if marksRight(when) {
			kept++
		} else if what == "edit" {
			t.Fatalf("%s: the whole list's marks were dropped", when)
		}
		pass(when)
	}
	// Marks go once deletions leave them too far apart, and are read again.
	if len(kinds) < 8 || kept < 72 {
		t.Fatalf("the whole list's marks were kept through %d of 80 steps (%v)", kept, kinds)
	}
	// A bulk import suspends the triggers: every listing is read again.
	err := s.Tx(bg, func(tx *store.Tx) error {
		im, err := tx.NewContactImporter(bg, 1<<20)
		if err != nil {
			return err
		}
		defer im.Close()
		for i := range 3 {
			c := &model.Contact{AccountID: f.acc.ID, AccountType: "individual", FirstName: "Bulk", LastName: "Aa", Email: fmt.Sprintf("bulk%d@example.com", i),
				Status: model.StatusActive, CreatedAt: f.now, UpdatedAt: f.now, Grant: model.Grant{Preset: "personal", Permissions: []string{"profile.view"}, AllServices: true}}
			if err := im.Insert(bg, c); err != nil {
				return err
			}
		}
		return im.Finish(bg)
	})
	if err != nil {
		t.Fatal(err)
	}
	if held := f.app.ListMarksHeldForTest(); held != 0 {
		t.Fatalf("%d listings' marks held after a bulk import", held)
	}
	pass("after a bulk import")
}

// A count or marks read while a commit is on its way to the caches (the
// commit's rows already in the database, the caches not yet told) are not
// kept: told next, the caches would move them by the same change again.
func TestListingsReadInACommitsWindow(t *testing.T) {
	defer core.SetListMarkEveryForTest(3)()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	s, err := store.Open(bg, filepath.Join(dir, core.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var inWindow func()
	// Registered before the core's own: told first.
	s.OnChange(func(store.Changes) {
		if fn := inWindow; fn != nil {
			inWindow = nil
			fn()
		}
	})
	app := core.New(s, secret.Open(dir))
	t.Cleanup(func() { app.Close() })
	acc := must(app.CreateAccount(bg, "Acme Ltd"))
	for i := range 30 {
		must(app.CreateContact(bg, core.ContactInput{AccountID: acc.ID, FirstName: "Ann", LastName: fmt.Sprintf("Name%02d", i),
			Email: fmt.Sprintf("p%d@example.com", i), Preset: "billing"}))
	}
	whole, account := core.ContactFilter{Limit: 2, Offset: 20}, core.ContactFilter{AccountID: acc.ID, Limit: 2, Offset: 20}
	inWindow = func() {
		must(app.ContactPage(bg, whole, ""))
		must(app.ContactPage(bg, account, ""))
		app.WaitListMarksForTest()
		must(app.ContactPage(bg, whole, ""))
		app.WaitListMarksForTest()
	}
	must(app.CreateContact(bg, core.ContactInput{AccountID: acc.ID, FirstName: "Ann", LastName: "Aardvark",
		Email: "first@example.com", Preset: "billing"})) // sorts first: every mark moves
	if inWindow != nil {
		t.Fatal("no page was asked in the commit's window")
	}
	for _, l := range []core.ContactFilter{whole, account} {
		if p := must(app.ContactPage(bg, l, "")); p.Total != 31 {
			t.Errorf("%+v: total %d after the commit, want 31", l, p.Total)
		}
		mids, offs, _ := app.ListMarksForTest(l)
		for i, off := range offs {
			want, _, err := s.PageIDs(bg, store.ContactFilter{AccountID: l.AccountID, Limit: 1, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 1 || want[0] != mids[i] {
				t.Errorf("%+v: mark %d is contact %d at offset %d; that offset holds %v", l, i, mids[i], off, want)
			}
		}
	}
	app.WaitListMarksForTest() // the pages above may have started reads of marks, every 3
}
