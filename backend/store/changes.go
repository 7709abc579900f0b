package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Changes is what committed transactions changed, as far as the caches in
// memory care (migration 12): the ids of contacts whose grant may differ,
// of services, sites and sessions; the accounts that gained or lost
// contacts (Accounts), and whose invoices or services changed; whether
// any setting or any second factor changed (migration 19). All means
// anything may have changed (a restore).
type Changes struct {
	All                                    bool
	Contacts, Services, Sessions, Accounts []int64
	InvoiceLists, ServiceLists             []int64 // account ids
	Sites, Settings, Factors               bool
}

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool {
	return !c.All && !c.Sites && !c.Settings && !c.Factors && len(c.Contacts)+len(c.Services)+len(c.Sessions)+len(c.Accounts)+
		len(c.InvoiceLists)+len(c.ServiceLists) == 0
}

// watchers are the functions Store.Tx tells about what a transaction
// changed, after it commits.
type watchers struct {
	mu  sync.Mutex
	fns []func(Changes)
	// on once the schema has cache_changes (migration 12 applied).
	on bool
	// gen moves on twice for each commit that changes what a cache may
	// hold: odd from just before its commit until the watchers are told.
	gen atomic.Uint64
}

// Generation is a number that changes whenever a commit may change what a
// cache holds: odd from just before such a commit until OnChange's
// functions have been told. A value read from a cache while it was even,
// and unchanged after a query, agrees with what that query read.
func (s *Store) Generation() uint64 { return s.watch.gen.Load() }

// settling marks the start of a commit that changes c; the function it
// returns marks the end, once the watchers have been told.
func (s *Store) settling(c Changes, tracked bool) func() {
	if tracked && c.Empty() {
		return func() {}
	}
	s.watch.gen.Add(1)
	return func() { s.watch.gen.Add(1) }
}

// OnChange registers fn: it is called after every commit that changed
// something a cache holds, before Tx returns, so that the very next read
// through a cache sees the change.
func (s *Store) OnChange(fn func(Changes)) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.fns = append(s.watch.fns, fn)
}

func (s *Store) tell(c Changes) {
	if c.Empty() {
		return
	}
	if c.All || len(c.Accounts) > 0 {
		s.terms.forget() // contacts came or went
	}
	s.watch.mu.Lock()
	fns := s.watch.fns
	s.watch.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

func (s *Store) tracking() bool {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return s.watch.on
}

// startTracking turns the draining of cache_changes on once the table exists.
func (s *Store) startTracking(ctx context.Context) error {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'cache_changes'`).Scan(&n); err != nil {
		return fmt.Errorf("cache changes: %w", err)
	}
	s.watch.mu.Lock()
	s.watch.on = n == 1
	s.watch.mu.Unlock()
	return nil
}

// drain reads and empties cache_changes inside the transaction.
func (tx *Tx) drain(ctx context.Context) (Changes, error) {
	rows, err := tx.q.QueryContext(ctx, `DELETE FROM cache_changes RETURNING kind, id`)
	if err != nil {
		return Changes{}, fmt.Errorf("cache changes: %w", err)
	}
	defer rows.Close()
	var c Changes
	lists := map[string]*[]int64{"contact": &c.Contacts, "service": &c.Services, "session": &c.Sessions,
		"account": &c.Accounts, "invoices": &c.InvoiceLists, "services": &c.ServiceLists}
	seen := map[[2]any]bool{}
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return Changes{}, fmt.Errorf("cache changes: %w", err)
		}
		if k := [2]any{kind, id}; seen[k] {
			continue
		} else {
			seen[k] = true
		}
		if l, ok := lists[kind]; ok {
			*l = append(*l, id)
		} else if kind == "site" {
			c.Sites = true
		} else if kind == "settings" {
			c.Settings = true
		} else if kind == "factors" {
			c.Factors = true
		} else {
			c.All = true
		}
	}
	return c, rows.Err()
}
