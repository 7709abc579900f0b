package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// A page read from the end (the total known), or after the list mark
// before it, is the page read from the start, for every offset and limit,
// every filter a listing takes, names that tie but for case or not at
// all, and pages that cross the end.
func TestPageFromTheEndIsThePageFromTheStart(t *testing.T) {
	s, _ := openStore(t)
	a1, a2 := addAccount(t, s, "One"), addAccount(t, s, "Two")
	now := t0.Add(48 * time.Hour)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	lasts := []string{"Smith", "smith", "SMITH", "Ab", "Zed", "Émile", "", "O'Neil"}
	firsts := []string{"Ann", "ann", "Bo", ""}
	for i := range 70 {
		acct := a1.ID
		if i%3 == 0 {
			acct = a2.ID
		}
		c := newContact(acct, firsts[i%len(firsts)], lasts[(i/2)%len(lasts)], fmt.Sprintf("p%d@example.com", i))
		switch i % 7 {
		case 1:
			c.Status = model.StatusInvited
		case 2:
			c.Status = model.StatusSuspended
		case 3:
			c.Grant.ExpiresAt = &past
		case 4:
			c.Grant.ExpiresAt = &future
		}
		if i%5 == 0 {
			c.Grant.Preset = "technical"
		}
		mustInsert(t, s, c)
	}
	var filters []store.ContactFilter
	for _, acct := range []int64{0, a1.ID, a2.ID} {
		for _, preset := range []string{"", "technical", "full"} {
			for _, status := range []string{"", model.StatusActive, model.StatusExpired, model.StatusInvited, model.StatusSuspended} {
				filters = append(filters, store.ContactFilter{AccountID: acct, Preset: preset, Status: status, Now: now})
			}
		}
	}
	reversed := 0
	for _, f := range filters {
		f.Limit = 1 << 20
		all, _, err := s.PageIDs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.CountContacts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if n.N != len(all) {
			t.Fatalf("%+v: count %d, listing %d", f, n.N, len(all))
		}
		cs, err := s.ContactsByID(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		var marks []store.SortKey
		// every 1 and 2: the 27 Smiths of any case are a group too large to
		// step over from its start
		for _, every := range []int{1, 2, 3, 7} {
			if marks, err = s.ListMarks(ctx, f, every); err != nil {
				t.Fatal(err)
			}
			if len(marks) != len(all)/every {
				t.Fatalf("%+v: %d marks of %d contacts every %d", f, len(marks), len(all), every)
			}
			for i, m := range marks {
				if want := *store.PageEnd(cs[(i+1)*every-1]); m != want {
					t.Fatalf("%+v: mark %d every %d %+v, want %+v", f, i, every, m, want)
				}
			}
		}
		const every = 7
		for _, limit := range []int{1, 2, 3, 7, 50} {
			for offset := 0; offset <= n.N+2; offset++ {
				f.Limit, f.Offset = limit, offset
				f.Counted, f.Total = false, 0
				fwd, fmore, err := s.PageIDs(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				f.Counted, f.Total = true, n.N
				back, bmore, err := s.PageIDs(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				want := all[min(offset, len(all)):min(offset+limit, len(all))]
				if !slices.Equal(fwd, want) || !slices.Equal(back, want) || fmore != (offset+limit < len(all)) || bmore != fmore {
					t.Fatalf("%+v: from the start %v (more %v), from the end %v (more %v), want %v", f, fwd, fmore, back, bmore, want)
				}
				if i := offset/every - 1; i >= 0 && i < len(marks) {
					m := f
					m.After, m.Offset = &marks[i], offset%every
					got, more, err := s.PageIDs(ctx, m)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) || more != fmore {
						t.Fatalf("%+v: after mark %d %v (more %v), want %v", f, i, got, more, want)
					}
				}
				if n.N-min(offset+limit+1, n.N) < offset && offset < n.N {
					reversed++
				}
			}
		}
	}
	if reversed == 0 {
		t.Fatal("no page was read from the end")
	}
}

// The total is not used after a cursor or for a search: those pages are
// the ones without it, whatever it says.
func TestPageTotalIgnoredAfterCursorAndSearch(t *testing.T) {
	s, _ := openStore(t)
	a := addAccount(t, s, "One")
	for i := range 30 {
		mustInsert(t, s, newContact(a.ID, "Ann", fmt.Sprintf("Last%02d", i), fmt.Sprintf("p%d@example.com", i)))
	}
	first, _, err := s.PageIDs(ctx, store.ContactFilter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.ContactsByID(ctx, first[4:])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []store.ContactFilter{
		{Limit: 5, Offset: 20, After: store.PageEnd(after[0])},
		{Limit: 5, Offset: 10, Query: "last"},
	} {
		want, wmore, err := s.PageIDs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		f.Counted, f.Total = true, 27 // a total that would move a page read from the end
		got, more, err := s.PageIDs(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || more != wmore || len(got) == 0 {
			t.Errorf("%+v: %v (more %v), want %v (more %v)", f, got, more, want, wmore)
		}
	}
}
