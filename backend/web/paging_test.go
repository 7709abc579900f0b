package web_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

type listPage struct {
	Contacts []struct {
		ID        float64 `json:"id"`
		FirstName string  `json:"first_name"`
		LastName  string  `json:"last_name"`
	} `json:"contacts"`
	Total int    `json:"total"`
	Next  string `json:"next"`
}

func (e *env) list(q string) listPage {
	e.t.Helper()
	var p listPage
	e.ok(200, "GET", "/api/contacts?"+q, nil).into(e.t, &p)
	return p
}

// pageIDs walks a listing page by page, by offset or by the next cursor.
func (e *env) pageIDs(q string, cursor bool) []float64 {
	e.t.Helper()
	var ids []float64
	for offset, after := 0, ""; ; {
		p := e.list(fmt.Sprintf("%s&limit=3&offset=%d&after=%s", q, offset, url.QueryEscape(after)))
		for _, c := range p.Contacts {
			ids = append(ids, c.ID)
		}
		if len(p.Contacts) < 3 || (cursor && p.Next == "") {
			if cursor && p.Next != "" {
				e.t.Errorf("%s: a short page gave a next cursor", q)
			}
			return ids
		}
		if cursor {
			after = p.Next
		} else {
			offset += 3
		}
	}
}

// Paging with the next cursor gives what paging with offsets gives: every
// contact once, in name order, ties on the name broken by id, whatever
// the filter.
func TestCursorPagingMatchesOffsetPaging(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	for i, n := range [][2]string{{"Ada", "Smith"}, {"ada", "SMITH"}, {"Ada", "Smith"}, {"Zoë", "Brown"}, {"Ben", "Smith"},
		{"Élodie", "dupont"}, {"Al", "Dupont"}, {"Ada", "Smith"}} {
		preset := []string{"full", "billing"}[i%2]
		e.ok(201, "POST", "/api/contacts", map[string]any{"account_id": d.acc, "first_name": n[0], "last_name": n[1],
			"email": fmt.Sprintf("p%d@example.com", i), "preset": preset})
	}
	for _, q := range []string{"", "account_id=" + ftoa(d.acc), "preset=full", "status=active", "q=smith", "q=zzz"} {
		byOffset, byCursor := e.pageIDs(q, false), e.pageIDs(q, true)
		if !slices.Equal(byOffset, byCursor) {
			t.Errorf("%q: by offset %v, by cursor %v", q, byOffset, byCursor)
		}
		if total := e.list(q + "&limit=1").Total; total != len(byCursor) {
			t.Errorf("%q: total %d, %d listed", q, total, len(byCursor))
		}
	}
	for _, bad := range []string{"x", "bm9wZQ", url.QueryEscape(`["a","b"]`)} {
		if r := e.do("GET", "/api/contacts?after="+bad, nil); r.status != 422 {
			t.Errorf("after=%s: %d %s, want 422", bad, r.status, r.body)
		}
	}
}

// The total is not counted again for every page, but it follows every
// change, and the passing of an expiry, which changes nothing stored.
func TestListTotalsFollowChangesAndTime(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	total := func(q string) int { return e.list(q + "&limit=1").Total }
	a := e.addContact(d, "a@example.com", map[string]any{"preset": "full", "expires_at": "2026-06-02"})
	b := e.addContact(d, "b@example.com", map[string]any{"preset": "billing"})
	if total("") != 2 || total("status=active") != 2 || total("status=expired") != 0 || total("preset=full") != 1 {
		t.Fatalf("totals: %d all, %d active, %d expired, %d full", total(""), total("status=active"), total("status=expired"), total("preset=full"))
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(b), map[string]any{"preset": "full"})
	if got := total("preset=full"); got != 2 {
		t.Errorf("after a preset change: %d full, want 2", got)
	}
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(b), map[string]any{"status": "suspended"})
	if got := total("status=suspended"); got != 1 {
		t.Errorf("after a suspension: %d suspended, want 1", got)
	}
	if act := total("status=active"); act != 1 {
		t.Errorf("before a's expiry: %d active, want 1", act)
	}
	e.setNow(time.Date(2026, 6, 2, 0, 0, 1, 0, time.UTC)) // a's grant has just expired: nothing was written
	if act, exp := total("status=active"), total("status=expired"); act != 0 || exp != 1 {
		t.Errorf("after a's expiry: %d active, %d expired; want 0 and 1", act, exp)
	}
	e.ok(204, "DELETE", "/api/contacts/"+ftoa(a), nil)
	e.addContact(d, "c@example.com", map[string]any{"preset": "full"})
	if got, q := total(""), total("q=c%40example"); got != 2 || q != 1 {
		t.Errorf("after a removal and an addition: %d in all, %d found; want 2 and 1", got, q)
	}
}
