package core_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
	"grantbook/backend/secret"
	"grantbook/backend/store"
)

// pageJSON is a contact page as the API writes it (AppendJSON) and as
// encoding/json writes the same page.
func pageJSON(t *testing.T, f *fixture, filter core.ContactFilter, after string) (got, want []byte, p *core.ContactPage) {
	t.Helper()
	p, err := f.app.ContactPage(bg, filter, after)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(p); err != nil {
		t.Fatal(err)
	}
	return append(p.AppendJSON(nil), '\n'), buf.Bytes(), p
}

// A listing's JSON, made from each contact's cached JSON, is byte for byte
// what encoding/json writes for the same page, on every page, with an
// invited and an expired contact, characters encoding/json escapes, and
// after edits of a cached contact's name, grant, services and admin
// access, and its deletion.
func TestContactPageJSONIsEncodingJSONs(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	names := []string{`<b>Ünal</b>`, `O'Brien & "Sons"`, "Zoë\u2028Line", "Plain", `back\slash`, "Émile"}
	var ids []int64
	for i, n := range names {
		in := f.input()
		in.FirstName, in.LastName, in.Email = n, fmt.Sprintf("Name%d %s", i, n), fmt.Sprintf("p%d@example.com", i)
		in.Company = "Acme <Ltd> & Co"
		if i%2 == 1 {
			in.Preset, in.ServiceIDs = "technical", []int64{f.web.ID}
		}
		if i == 2 {
			exp := must(core.ParseExpiry("2026-01-20"))
			in.ExpiresAt = &core.Expiry{Time: exp}
			in.Admin = &core.AdminInput{Areas: []string{"orders"}}
		}
		ids = append(ids, must(f.app.CreateContact(bg, in)).ID)
	}
	// Invited: one with a pending invitation (listed with it), one without.
	err := f.app.StoreForTest().Tx(bg, func(tx *store.Tx) error {
		for i, name := range []string{"Invited", "Uninvited"} {
			c := &model.Contact{AccountID: f.acc.ID, AccountType: "individual", FirstName: name, LastName: "Name9",
				Email: fmt.Sprintf("inv%d@example.com", i), Status: model.StatusInvited, CreatedAt: f.now, UpdatedAt: f.now,
				Grant: model.Grant{Preset: "personal", Permissions: []string{"profile.view"}, AllServices: true}}
			if err := tx.InsertContact(bg, c); err != nil {
				return err
			}
			if i == 0 {
				if err := tx.InsertInvitation(bg, &model.Invitation{AccountID: f.acc.ID, ContactID: c.ID, Email: c.Email,
					Name: name, Token: "tok-for-test", State: model.InvSent, CreatedAt: f.now, ExpiresAt: f.now.Add(72 * time.Hour)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, p := pageJSON(t, f, core.ContactFilter{Query: "invited"}, "")
	if len(p.Contacts) != 2 || p.Contacts[0].Invitation == nil || p.Contacts[1].Invitation != nil {
		t.Fatalf("invited contacts listed as %+v", p.Contacts)
	}
	check := func(when string, filter core.ContactFilter) {
		t.Helper()
		after := ""
		for page := 0; ; page++ {
			got, want, p := pageJSON(t, f, filter, after)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, page %d:\n got %s\nwant %s", when, page, got, want)
			}
			if p.Next == "" {
				return
			}
			after = p.Next
		}
	}
	for _, q := range []string{"", "name", "acme <ltd>"} {
		check("first listing "+q, core.ContactFilter{Query: q, Limit: 2})
	}
	// Time passes: contact 2's grant expires (its cached JSON says active).
	f.now = time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
	_, _, p = pageJSON(t, f, core.ContactFilter{Query: "name2 "}, "")
	if len(p.Contacts) != 1 || p.Contacts[0].EffectiveStatus != "expired" {
		t.Fatalf("after its expiry: %+v", p.Contacts)
	}
	check("after an expiry", core.ContactFilter{Limit: 3})

	// Edits of cached contacts show on the next page read.
	must(f.app.UpdateContact(bg, ids[0], patch(t, `{"first_name":"Renamed <i>","company":"New & Co"}`)))
	must(f.app.UpdateContact(bg, ids[1], patch(t, fmt.Sprintf(`{"service_ids":[%d,%d]}`, f.web.ID, f.dns.ID))))
	must(f.app.UpdateContact(bg, ids[2], patch(t, `{"admin":null,"preset":"full","expires_at":null}`)))
	must(f.app.UpdateContact(bg, ids[3], patch(t, `{"status":"suspended"}`)))
	if err := f.app.DeleteContact(bg, ids[4]); err != nil {
		t.Fatal(err)
	}
	_, _, p = pageJSON(t, f, core.ContactFilter{Limit: 100}, "")
	byID := map[int64]int{}
	for i, c := range p.Contacts {
		byID[c.ID] = i
		fresh := must(f.app.Contact(bg, c.ID))
		if a, b := must(json.Marshal(c)), must(json.Marshal(fresh)); !bytes.Equal(a, b) {
			t.Errorf("contact %d listed as\n %s\nread alone\n %s", c.ID, a, b)
		}
	}
	if _, ok := byID[ids[4]]; ok {
		t.Errorf("a deleted contact is still listed")
	}
	if c := p.Contacts[byID[ids[0]]]; c.FirstName != "Renamed <i>" || c.Company != "New & Co" {
		t.Errorf("renamed contact listed as %+v", c)
	}
	if c := p.Contacts[byID[ids[1]]]; len(c.Grant.ServiceIDs) != 2 {
		t.Errorf("services not followed: %+v", c.Grant)
	}
	if c := p.Contacts[byID[ids[2]]]; c.Admin != nil || c.Grant.Preset != "full" || c.EffectiveStatus != "active" {
		t.Errorf("grant not followed: %+v %+v", c.Grant, c.Admin)
	}
	if c := p.Contacts[byID[ids[3]]]; c.EffectiveStatus != "suspended" {
		t.Errorf("suspension not followed: %q", c.EffectiveStatus)
	}
	for _, q := range []string{"", "renamed", "new & co"} {
		check("after edits "+q, core.ContactFilter{Query: q, Limit: 2})
	}
}

// A page asked while a commit is on its way to the caches (committed, the
// cached total not yet dropped) is the page of what the commit left: the
// stale total is not used to read it from the end.
func TestContactPageInACommitsWindow(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	s, err := store.Open(bg, filepath.Join(dir, core.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var acc *model.Account
	var inWindow func()
	// Registered before the core's own: told first, while the caches hold
	// what they held before the commit.
	s.OnChange(func(c store.Changes) {
		if fn := inWindow; fn != nil && acc != nil && slices.Contains(c.Accounts, acc.ID) {
			inWindow = nil
			fn()
		}
	})
	app := core.New(s, secret.Open(dir))
	t.Cleanup(func() { app.Close() })
	acc = must(app.CreateAccount(bg, "Acme Ltd"))
	add := func(last string, i int) {
		must(app.CreateContact(bg, core.ContactInput{AccountID: acc.ID, FirstName: "Ann", LastName: last,
			Email: fmt.Sprintf("p%d@example.com", i), Preset: "billing"}))
	}
	for i := range 20 {
		add(fmt.Sprintf("Name%02d", i), i)
	}
	f := core.ContactFilter{Limit: 5, Offset: 15}
	if p := must(app.ContactPage(bg, f, "")); p.Total != 20 { // the total is now cached
		t.Fatalf("total %d", p.Total)
	}
	var got *core.ContactPage
	inWindow = func() { got = must(app.ContactPage(bg, f, "")) }
	add("Aardvark", 20) // sorts first: every later contact moves down one
	if got == nil {
		t.Fatal("no page was asked in the commit's window")
	}
	want, more, err := s.PageIDs(bg, store.ContactFilter{Limit: 5, Offset: 15})
	if err != nil {
		t.Fatal(err)
	}
	ids := idsOf(got.Contacts)
	if !slices.Equal(ids, want) || (got.Next != "") != more {
		t.Errorf("page in the window %v (next %q), want %v (more %v)", ids, got.Next, want, more)
	}
}

// Every offset= page, read from the end or after a listing's mark (before
// and once the marks are read), is the page read from the start, for every filter, before and after contacts
// change (renamed to sort first, deleted) and after the clock passes an
// expiry (the active and expired filters change with no write).
func TestContactPageAtEveryOffset(t *testing.T) {
	defer core.SetListMarkEveryForTest(3)()
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	lasts := []string{"Smith", "smith", "Ab", "Zed", "Émile", "O'Neil"}
	var ids []int64
	for i := range 26 {
		in := f.input()
		in.FirstName, in.LastName, in.Email = []string{"Ann", "ann", "Bo"}[i%3], lasts[(i/2)%len(lasts)], fmt.Sprintf("p%d@example.com", i)
		if i%4 == 1 {
			in.Preset = "technical"
		}
		if i%7 == 6 {
			in.AccountID = f.other.ID
		}
		switch i % 5 {
		case 2:
			in.ExpiresAt = &core.Expiry{Time: f.now.Add(20 * time.Hour)}
		case 3:
			in.ExpiresAt = &core.Expiry{Time: f.now.Add(200 * time.Hour)}
		}
		c := must(f.app.CreateContact(bg, in))
		ids = append(ids, c.ID)
		if i%6 == 4 {
			suspended := model.StatusSuspended
			must(f.app.UpdateContact(bg, c.ID, core.ContactPatch{Status: &suspended}))
		}
	}
	err := f.app.StoreForTest().Tx(bg, func(tx *store.Tx) error {
		return tx.InsertContact(bg, &model.Contact{AccountID: f.acc.ID, AccountType: "individual", FirstName: "Ivy", LastName: "Smith",
			Email: "invited@example.com", Status: model.StatusInvited, CreatedAt: f.now, UpdatedAt: f.now,
			Grant: model.Grant{Preset: "personal", Permissions: []string{"profile.view"}, AllServices: true}})
	})
	if err != nil {
		t.Fatal(err)
	}
	pass := func(when string) {
		t.Helper()
		for _, acct := range []int64{0, f.acc.ID} {
			for _, preset := range []string{"", "technical"} {
				for _, status := range []string{"", model.StatusActive, model.StatusExpired, model.StatusSuspended, model.StatusInvited} {
					for _, limit := range []int{1, 2, 5} {
						checkOffsets(t, f, core.ContactFilter{AccountID: acct, Preset: preset, Status: status, Limit: limit}, when)
					}
				}
			}
		}
	}
	check := func(when string) {
		t.Helper()
		pass(when) // reads the marks of listings whose deep pages are asked
		f.app.WaitListMarksForTest()
		pass(when + ", with marks")
	}
	check("at first")
	if f.app.ListMarksHeldForTest() == 0 {
		t.Fatal("no listing's marks were read")
	}
	first := "Aaron"
	must(f.app.UpdateContact(bg, ids[20], core.ContactPatch{LastName: &first}))
	must(0, f.app.DeleteContact(bg, ids[3]))
	check("after a rename and a deletion")
	f.now = f.now.Add(24 * time.Hour)
	check("after an expiry")
}

// checkOffsets compares the page at every offset with the store's page
// read from the start.
func checkOffsets(t *testing.T, f *fixture, filter core.ContactFilter, when string) {
	t.Helper()
	total := -1
	for offset := 0; total < 0 || offset <= total+1; offset++ {
		filter.Offset = offset
		p := must(f.app.ContactPage(bg, filter, ""))
		total = p.Total
		sf := filter
		sf.Now = f.now
		want, more, err := f.app.StoreForTest().PageIDs(bg, sf)
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(p.Contacts); !slices.Equal(got, want) || (p.Next != "") != more {
			t.Fatalf("%s, %+v: page %v (next %q), from the start %v (more %v)", when, filter, got, p.Next, want, more)
		}
	}
}

func idsOf(cs []*model.Contact) []int64 {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}
