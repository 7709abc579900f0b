package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// freshSessions makes the seeded sessions current: a cached seed may be
// older than the portal's idle limit.
func freshSessions(file string) error {
	db, err := sql.Open("sqlite3", "file:"+file+"?_journal_mode=WAL&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().Unix()
	_, err = db.Exec(`UPDATE sessions SET last_seen = ?, expires_at = ?`, now, now+30*86400)
	return err
}

// page is the part of a contact listing the client reads.
type page struct {
	Contacts []json.RawMessage `json:"contacts"`
	Total    int               `json:"total"`
	Next     string            `json:"next"`
}

// get fetches an owner API path and decodes it.
func get(base, path string, v any) (time.Duration, error) {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+ownerToken)
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return d, json.Unmarshal(b, v)
}

// latencies times reps requests of path after 3 warm-ups, one at a time.
func latencies(base, path string, reps int) ([]time.Duration, page, error) {
	var ds []time.Duration
	var last page
	for i := 0; i < reps+3; i++ {
		var p page
		d, err := get(base, path, &p)
		if err != nil {
			return nil, last, err
		}
		if i >= 3 {
			ds = append(ds, d)
		}
		last = p
	}
	slices.Sort(ds)
	return ds, last, nil
}

func pct(ds []time.Duration, p int) float64 {
	i := min(len(ds)-1, (len(ds)*p+99)/100-1)
	return float64(ds[max(i, 0)].Microseconds()) / 1000
}

func reps() int {
	if *smoke {
		return 2
	}
	return 20
}

// oneClientSearch times each search alone, one request at a time.
func oneClientSearch(prod *proc, n int) error {
	fmt.Printf("search, one client (%d requests of each, after 3 warm-ups; load %s):\n", reps(), loadavg())
	var all []time.Duration
	for _, q := range searches {
		ds, p, err := latencies(prod.base, "/api/contacts?limit=50&q="+url.QueryEscape(q), reps())
		if err != nil {
			return err
		}
		all = append(all, ds...)
		fmt.Printf("  q=%-12s p50 %7.2f ms  p95 %7.2f ms  max %7.2f ms  (%d matches)\n", q, pct(ds, 50), pct(ds, 95), pct(ds, 100), p.Total)
	}
	slices.Sort(all)
	v := "(target at 1M)"
	if n == 1_000_000 {
		v = verdict(pct(all, 95) <= 50)
	}
	fmt.Printf("  all searches: p50 %.2f ms, p95 %.2f ms, max %.2f ms; target p95 ≤ 50 ms: %s (load %s)\n",
		pct(all, 50), pct(all, 95), pct(all, 100), v, loadavg())
	return nil
}

// oneClientList times list pages at several depths: by offset (the old
// paging) and, where the API returns one, by the next-page cursor.
func oneClientList(prod *proc, n int) error {
	fmt.Printf("list pages, one client (%d requests each after 3 warm-ups; load %s):\n", reps(), loadavg())
	lines := []struct{ name, path string }{
		{"first page", "/api/contacts?limit=50"},
		{"account 1, first page", "/api/contacts?limit=50&account_id=1"},
		{"offset middle", fmt.Sprintf("/api/contacts?limit=50&offset=%d", n/2)},
		{"offset last page", fmt.Sprintf("/api/contacts?limit=50&offset=%d", n-50)},
		{"account 1, offset middle", fmt.Sprintf("/api/contacts?limit=50&account_id=1&offset=%d", n/4)},
	}
	if err := coldListPages(prod, n); err != nil {
		return err
	}
	for _, depth := range []int{n / 2, n - 100} {
		var p page
		if _, err := get(prod.base, fmt.Sprintf("/api/contacts?limit=50&offset=%d", depth), &p); err != nil {
			return err
		}
		if p.Next != "" {
			lines = append(lines, struct{ name, path string }{fmt.Sprintf("cursor after row %d", depth+50),
				"/api/contacts?limit=50&after=" + url.QueryEscape(p.Next)})
		}
	}
	worst := 0.0
	for _, l := range lines {
		ds, _, err := latencies(prod.base, l.path, reps())
		if err != nil {
			return err
		}
		worst = max(worst, pct(ds, 95))
		fmt.Printf("  %-26s p50 %7.2f ms  p95 %7.2f ms  max %7.2f ms   %s\n", l.name, pct(ds, 50), pct(ds, 95), pct(ds, 100), l.path)
	}
	v := "(target at 1M)"
	if n == 1_000_000 {
		v = verdict(worst <= 20)
	}
	fmt.Printf("  worst p95 %.2f ms; target ≤ 20 ms at any depth: %s (load %s)\n", worst, v, loadavg())
	return nil
}

// coldListPages times the first offset= pages of a fresh server, and again
// after a contact is changed: the listing's count and marks are read then
// (they are kept until the contacts change).
func coldListPages(prod *proc, n int) error {
	middle := fmt.Sprintf("/api/contacts?limit=50&offset=%d", n/2)
	account := fmt.Sprintf("/api/contacts?limit=50&account_id=1&offset=%d", n/4)
	var p page
	first, err := get(prod.base, middle, &p)
	if err != nil {
		return err
	}
	var c struct {
		ID    int64  `json:"id"`
		Phone string `json:"phone"`
	}
	if len(p.Contacts) == 0 || json.Unmarshal(p.Contacts[0], &c) != nil {
		return fmt.Errorf("no contact on %s", middle)
	}
	body := `{"phone":"+44 20 7946 0001"}`
	if c.Phone == "+44 20 7946 0001" {
		body = `{"phone":"+44 20 7946 0002"}`
	}
	req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/api/contacts/%d", prod.base, c.ID), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ownerToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("PATCH contact %d: %d %s", c.ID, res.StatusCode, b)
	}
	again, err := get(prod.base, middle, &p)
	if err != nil {
		return err
	}
	acct, err := get(prod.base, account, &p)
	if err != nil {
		return err
	}
	// The marks are read in the background: ask the middle page until
	// three in a row take under 5 ms (stepping over half a million
	// entries takes longer; at most 10 s), so the lines below time pages
	// with marks.
	start, pages, fast := time.Now(), 0, 0
	for fast < 3 && time.Since(start) < 10*time.Second {
		d, err := get(prod.base, middle, &p)
		if err != nil {
			return err
		}
		if pages++; d < 5*time.Millisecond {
			fast++
		} else {
			fast = 0
		}
	}
	fmt.Printf("  first page at offset middle %.2f ms; after a contact's change: offset middle %.2f ms, account 1 offset middle %.2f ms (count read again, marks in the background); "+
		"the middle page fast again after %.2f s (%d pages)\n", ms(first), ms(again), ms(acct), time.Since(start).Seconds(), pages)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
