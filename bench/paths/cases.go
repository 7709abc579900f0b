package main

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// A pathCase is one product path under load, with the baselines it is
// compared with and its target.
type pathCase struct {
	name      string
	product   load
	baselines []string // "select" (one prepared PK SELECT), "insert" (the same + one INSERT in a transaction), "const" (no database)
	target    string
	met       func(p result, b map[string]result) bool
	sizes     []int // sizes the target applies to (nil: every size)
	sweep     bool  // warm up by asking about every contact once
}

var checkPerms = []string{"services.view", "invoices.view", "invoices.pay", "support.open", "profile.view", "services.cancel", "quotes.view"}

// searches are the owner's searches of the search cases: common and rare
// names, an accented name, one address, a company, no match, and a term in
// every row.
var searches = []string{"smith", "élodie", "user4242@", "okafor", "acme ltd", "zzqx", "example", "sven.lar", "umbrella", "tanaka"}

func ownerHeader() map[string]string {
	return map[string]string{"Authorization": "Bearer " + ownerToken}
}

func cases(s seed) []pathCase {
	ids, svcs := s.contacts, s.accounts*s.services
	portal := func(path string) load {
		return load{Method: "GET", Path: path, Tokens: s.tokens(), IDs: ids}
	}
	client := func(p result, b map[string]result) bool { return p.P99 <= 20 && p.RPS >= 5000 }
	var q []string
	for _, t := range searches {
		q = append(q, url.QueryEscape(t))
	}
	return []pathCase{
		{name: "check", baselines: []string{"select", "const"}, sweep: true,
			product: load{Method: "GET", Path: "/api/check?contact_id={id}&permission={pick}&service_id={svc}",
				Header: ownerHeader(), Picks: checkPerms, IDs: ids, Services: svcs},
			target: "req/s ≥ 1.5× the one-SELECT baseline",
			met:    func(p result, b map[string]result) bool { return p.RPS >= 1.5*b["select"].RPS }},
		{name: "portal invoices", baselines: []string{"select", "insert"}, product: portal("/api/portal/invoices"),
			target: "p99 ≤ 20 ms and ≥ 5,000 req/s", met: client},
		{name: "portal services", baselines: []string{"select", "insert"}, product: portal("/api/portal/services"),
			target: "p99 ≤ 20 ms and ≥ 5,000 req/s", met: client},
		{name: "portal support POST", baselines: []string{"insert"},
			product: load{Method: "POST", Path: "/api/portal/support", Tokens: s.tokens(), IDs: ids,
				Header: map[string]string{"Content-Type": "application/json"},
				Body:   `{"subject":"Bench request","body":"Please have a look."}`},
			target: "(none: compared with the INSERT baseline)"},
		{name: "search, 32 connections", baselines: []string{"select"},
			product: load{Method: "GET", Path: "/api/contacts?limit=50&q={pick}", Header: ownerHeader(), Picks: q, IDs: ids},
			target:  "≥ 1,000 req/s at 100k", sizes: []int{100_000},
			met: func(p result, b map[string]result) bool { return p.RPS >= 1000 }},
	}
}

// baselineLoad is the baseline's request for a case.
func baselineLoad(kind string, ids int) load {
	return load{Method: "GET", Path: "/" + kind + "?id={id}", IDs: ids}
}

func applies(c pathCase, n int) bool {
	if c.met == nil {
		return false
	}
	if c.sizes == nil {
		return true
	}
	for _, s := range c.sizes {
		if s == n {
			return true
		}
	}
	return false
}

// medianResult is the round with the median req/s.
func medianResult(rs []result) result {
	s := append([]result(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].RPS < s[j].RPS })
	return s[len(s)/2]
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  max %7.1f ms  (load %s)", r.RPS, r.P50, r.P99, r.Max, r.Load)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func joinRounds(rs []result) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%.0f", r.RPS))
	}
	return strings.Join(out, ", ")
}
