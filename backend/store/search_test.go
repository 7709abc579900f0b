package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// searchPeople is enough contacts that a rare query is answered from the
// trigram index (a listing shorter than the probe is read in order).
const searchPeople = 2600

func seedSearch(t *testing.T, s *store.Store, accountID int64) {
	t.Helper()
	err := s.Tx(ctx, func(tx *store.Tx) error {
		im, err := tx.NewContactImporter(ctx, searchPeople)
		if err != nil {
			return err
		}
		defer im.Close()
		for i := range searchPeople {
			c := newContact(accountID, "P", fmt.Sprintf("Person%04d", i), fmt.Sprintf("p%d@example.com", i))
			switch {
			case i%500 == 7:
				c.Company = "Zebra Works"
			case i == 1234:
				c.LastName = "Ünal"
			case i == 2345:
				c.FirstName = "Zoë*?[x]"
			case i == 2400:
				c.LastName = `O"Hara AND ana OR`
			}
			if err := im.Insert(ctx, c); err != nil {
				return err
			}
		}
		return im.Finish(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// wantSearch is what a scan of every contact with strings.ToLower finds
// (the field separator dropped from q: no match spans two fields).
func wantSearch(t *testing.T, s *store.Store, q string) []string {
	t.Helper()
	all, _, err := s.Contacts(ctx, store.ContactFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range all {
		hay := strings.ToLower(c.FirstName + " " + c.LastName + "\x1f" + c.Email + "\x1f" + c.Company)
		if strings.Contains(hay, strings.ToLower(strings.ReplaceAll(strings.TrimSpace(q), "\x1f", ""))) {
			out = append(out, c.Email)
		}
	}
	return out
}

// checkSearch compares every query's pages (walked by cursor, three at a
// time) and count with the scan, with pages from the list's window or
// (a small window) from the index, and a search group's rest read from the
// index or (reading less) walked.
func checkSearch(t *testing.T, s *store.Store, when string) {
	t.Helper()
	defer func(w, r int) { store.SearchWindow, store.SearchGroupRead = w, r }(store.SearchWindow, store.SearchGroupRead)
	for _, w := range []int{store.SearchWindow, 40} {
		store.SearchWindow, store.SearchGroupRead = w, max(1, w/1000)
		checkSearchWindow(t, s, fmt.Sprintf("%s, window %d", when, w))
	}
}

func checkSearchWindow(t *testing.T, s *store.Store, when string) {
	t.Helper()
	for _, q := range []string{"zebra", "ZEBRA wo", "works", "ünal", "ÜNAL", "p1234@", "p2599@example.com", "zoë*?[",
		"*?[", "x]", `o"hara`, `"ha`, "and ana or", "zz", "nobody here", "@example.com\x1fzebra"} {
		want := wantSearch(t, s, q)
		var got []string
		f := store.ContactFilter{Query: q, Limit: 3}
		for range 3000 {
			cs, next, err := s.ContactsPage(ctx, f)
			if err != nil {
				t.Fatalf("%s: q=%q: %v", when, q, err)
			}
			for _, c := range cs {
				got = append(got, c.Email)
			}
			if next == nil {
				break
			}
			f.After = next
		}
		n, err := s.CountContacts(ctx, store.ContactFilter{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		wantN := min(len(want), store.SearchCountCap)
		if !slices.Equal(got, want) || n.N != wantN || n.Capped != (len(want) > store.SearchCountCap) {
			t.Errorf("%s: q=%q: %v (count %+v), want %v (%d)", when, q, got, n, want, len(want))
		}
	}
}

// The trigram index answers as a scan of search_key does, through adds,
// edits and deletes, and a copied store (a restore) is searched correctly
// before and while the background indexer fills its index.
func TestSearchIndexAnswersAsAScan(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	seedSearch(t, s, acc.ID)
	checkSearch(t, s, "seeded")

	edited := mustInsert(t, s, newContact(acc.ID, "Late", "Zebra", "late@example.com"))
	edited.Company, edited.LastName = "", "Stripes"
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateContact(ctx, edited) }); err != nil {
		t.Fatal(err)
	}
	gone := mustInsert(t, s, newContact(acc.ID, "Gone", "Zebra", "gone@example.com"))
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteContact(ctx, gone.ID) }); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, newContact(acc.ID, "New", "Zebrafish", "new@example.com"))
	checkSearch(t, s, "edited")
	if got := wantSearch(t, s, "zebra"); len(got) != 7 || slices.Contains(got, "late@example.com") || slices.Contains(got, "gone@example.com") {
		t.Fatalf("the scan itself: %v", got)
	}

	copied, _ := openStore(t)
	if err := copied.CopyRows(ctx, s.Q, []string{"accounts", "services", "contacts", "grants", "grant_services"}); err != nil {
		t.Fatal(err)
	}
	checkSearch(t, copied, "copied, not indexed")
	mustInsert(t, copied, newContact(acc.ID, "After", "Zebracopy", "after@example.com"))
	if more, err := copied.IndexSearch(ctx, 1000); err != nil || !more {
		t.Fatalf("IndexSearch: %v %v", more, err)
	}
	checkSearch(t, copied, "partly indexed")
	for more := true; more; {
		var err error
		if more, err = copied.IndexSearch(ctx, 1000); err != nil {
			t.Fatal(err)
		}
	}
	checkSearch(t, copied, "indexed")
	if n := count(t, copied, `SELECT count(*) FROM contacts_search WHERE contacts_search MATCH '"zeb" AND "ebr" AND "bra"'`); n != 8 {
		t.Errorf("index holds %d zebras, want 8", n)
	}

	// Merged into one b-tree, a step at a time, it answers the same.
	segs, err := copied.SearchSegments(ctx)
	if err != nil || segs < 2 {
		t.Fatalf("the batches left %d b-trees (%v), want several", segs, err)
	}
	steps := 0
	for more := true; more; steps++ {
		if more, err = copied.MergeSearch(ctx); err != nil {
			t.Fatal(err)
		}
		if steps > 1000 {
			t.Fatal("merging does not end")
		}
	}
	if segs, err = copied.SearchSegments(ctx); err != nil || segs != 1 {
		t.Fatalf("after %d merge steps: %d b-trees (%v), want 1", steps, segs, err)
	}
	checkSearch(t, copied, "merged")
}

// A search counts up to SearchCountCap matches and says there are more.
func TestSearchCountIsCapped(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	seedSearch(t, s, acc.ID)
	n, err := s.CountContacts(ctx, store.ContactFilter{Query: "person"})
	if err != nil || n.N != store.SearchCountCap || !n.Capped {
		t.Fatalf("count: %+v %v", n, err)
	}
	n, err = s.CountContacts(ctx, store.ContactFilter{Query: "zebra", Status: model.StatusActive})
	if err != nil || n.N != 6 || n.Capped {
		t.Fatalf("count: %+v %v", n, err)
	}
}
