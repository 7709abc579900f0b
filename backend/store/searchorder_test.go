package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// namePieces make names that sort close together and apart: letters in
// both cases, spaces, punctuation, digits, accents, other scripts and
// control characters.
var namePieces = []string{"a", "A", "b", "Smi", "smi", "th", "TH", "ë", "É", "ü", "ß", "漢", " ", "-", "'", ".", "0", "9",
	"_", "~", "z", "Z", "x", "mit", "\x01", "@", "[", "`", "{", "\u00a0"}

func randomName(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(9) {
		b.WriteString(namePieces[r.IntN(len(namePieces))])
	}
	return b.String()
}

func seedNames(t *testing.T, s *store.Store, accounts []int64, n int, withNUL bool) {
	t.Helper()
	r := rand.New(rand.NewPCG(19, 1))
	err := s.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			c := newContact(accounts[i%len(accounts)], randomName(r), randomName(r), fmt.Sprintf("n%d@example.com", i))
			if withNUL && i%7 == 0 {
				c.LastName = strings.Replace(c.LastName+"a", "a", "\x00", 1)
			}
			if err := tx.InsertContact(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A contact's search group never decreases along SQLite's list order, NUL
// bytes included, so that pages cut after a group are right (migration 19);
// and migration 19's SQL function gives what Grantbook writes.
func TestSearchGroupFollowsListOrder(t *testing.T) {
	s, _ := openStore(t)
	seedNames(t, s, []int64{addAccount(t, s, "Acme").ID}, 4000, true)
	rows, err := s.DB().QueryContext(ctx, `SELECT last_name, first_name, search_group, search_group(last_name, first_name)
		FROM contacts c ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prev int64
	var prevName string
	groups := map[int64]bool{}
	for rows.Next() {
		var last, first string
		var g, sqlG int64
		if err := rows.Scan(&last, &first, &g, &sqlG); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%q %q", last, first)
		if g < prev {
			t.Errorf("%s (group %d) sorts after %s (group %d)", name, g, prevName, prev)
		}
		if sqlG != g || g != store.SearchGroup(&model.Contact{LastName: last, FirstName: first}) {
			t.Errorf("%s: group %d, SQL %d", name, g, sqlG)
		}
		prev, prevName, groups[g] = g, name, true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(groups) < 300 {
		t.Errorf("only %d groups for 4000 names", len(groups))
	}
}

// Pages of searches whose matches span many search groups, walked by
// cursor and by offset, unfiltered and by account, are those of a scan,
// whether a page reads its last group from the index or walks the list.
func TestSearchPagesAcrossGroups(t *testing.T) {
	s, _ := openStore(t)
	a, b := addAccount(t, s, "Acme").ID, addAccount(t, s, "Bolt").ID
	seedNames(t, s, []int64{a, b}, 1500, false)
	defer func(n, m int) { store.SearchGroupRead, store.SearchGroupMax = n, m }(store.SearchGroupRead, store.SearchGroupMax)
	for _, read := range []int{store.SearchGroupRead, 1} {
		for _, most := range []int{store.SearchGroupMax, 1} { // the group read from the index, or walked
			store.SearchGroupRead, store.SearchGroupMax = read, most
			checkPages(t, s, a)
		}
	}
}

func checkPages(t *testing.T, s *store.Store, a int64) {
	t.Helper()
	for _, q := range []string{"smi", "smith", "mit", "th ", "éz", "aab", "a-b", "n1@", "@example", "ß9", "漢漢", "zzzz"} {
		all := wantSearch(t, s, q)
		for _, acc := range []int64{0, a} {
			var want []string
			for _, e := range all {
				var n int
				fmt.Sscanf(e, "n%d@", &n)
				if acc == 0 || n%2 == 0 {
					want = append(want, e)
				}
			}
			for _, limit := range []int{3, 40} {
				var got []string
				f := store.ContactFilter{Query: q, AccountID: acc, Limit: limit}
				for range 4000 {
					cs, next, err := s.ContactsPage(ctx, f)
					if err != nil {
						t.Fatalf("q=%q: %v", q, err)
					}
					for _, c := range cs {
						got = append(got, c.Email)
					}
					if next == nil {
						break
					}
					f.After = next
				}
				if !slices.Equal(got, want) {
					t.Errorf("q=%q account %d limit %d (group read %d): %d matches, want %d\ngot  %.10q\nwant %.10q",
						q, acc, limit, store.SearchGroupRead, len(got), len(want), got, want)
				}
				if len(want) > 8 {
					page, _, err := s.ContactsPage(ctx, store.ContactFilter{Query: q, AccountID: acc, Limit: 3, Offset: 5})
					if err != nil {
						t.Fatal(err)
					}
					var emails []string
					for _, c := range page {
						emails = append(emails, c.Email)
					}
					if !slices.Equal(emails, want[5:8]) {
						t.Errorf("q=%q account %d offset 5: %q, want %q", q, acc, emails, want[5:8])
					}
				}
			}
		}
	}
}
