package store

import (
	"context"
	"database/sql"
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
	// Moves are the contacts' moves in the listings, in the order they
	// were made (migration 22), unless Lists: then contacts moved in ways
	// not listed (a bulk import, or too many to be worth following).
	Moves []ContactMove
	Lists bool
}

// A ContactMove is a contact's change of place in the listings without a
// grant or search filter: its entry before and after (nil: inserted,
// deleted).
type ContactMove struct{ Old, New *ListEntry }

// ListEntry is what places a contact in those listings.
type ListEntry struct {
	AccountID int64
	Status    string
	Key       SortKey
}

// maxMoves bounds the moves a transaction's Changes lists: beyond it the
// listings are read again (Lists).
const maxMoves = 4096

// Empty reports whether c changes nothing.
func (c Changes) Empty() bool {
	return !c.All && !c.Sites && !c.Settings && !c.Factors && !c.Lists && len(c.Contacts)+len(c.Services)+len(c.Sessions)+len(c.Accounts)+
		len(c.InvoiceLists)+len(c.ServiceLists)+len(c.Moves) == 0
}

// watchers are the functions Store.Tx tells about what a transaction
// changed, after it commits.
type watchers struct {
	mu  sync.Mutex
	fns []func(Changes)
	// on once the schema has cache_changes (migration 12 applied); moves
	// once it has list_changes (migration 22).
	on, moves bool
	// gen moves on twice for each commit that changes what a cache may
	// hold: odd from just before its commit until the watchers are told;
	// listGen the same for the commits that may change contact listings.
	gen, listGen atomic.Uint64
}

// Generation is a number that changes whenever a commit may change what a
// cache holds: odd from just before such a commit until OnChange's
// functions have been told. A value read from a cache while it was even,
// and unchanged after a query, agrees with what that query read.
func (s *Store) Generation() uint64 { return s.watch.gen.Load() }

// ListGeneration is Generation for the commits that may change contact
// listings (contacts came, went or changed): a count or marks read while it
// was even and unchanged after are those of the state the next such
// commit's Changes apply to.
func (s *Store) ListGeneration() uint64 { return s.watch.listGen.Load() }

// settling marks the start of a commit that changes c; the function it
// returns marks the end, once the watchers have been told.
func (s *Store) settling(c Changes, tracked bool) func() {
	if tracked && c.Empty() {
		return func() {}
	}
	lists := !tracked || c.All || c.Lists || len(c.Contacts)+len(c.Accounts)+len(c.Moves) > 0
	s.watch.gen.Add(1)
	if lists {
		s.watch.listGen.Add(1)
	}
	return func() {
		if lists {
			s.watch.listGen.Add(1)
		}
		s.watch.gen.Add(1)
	}
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

func (s *Store) tracking() (on, moves bool) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	return s.watch.on, s.watch.moves
}

// startTracking turns the draining of cache_changes on once the table exists.
func (s *Store) startTracking(ctx context.Context) error {
	var n, m int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE name = 'cache_changes'), count(*) FILTER (WHERE name = 'list_changes')
		FROM sqlite_master WHERE type = 'table'`).Scan(&n, &m); err != nil {
		return fmt.Errorf("cache changes: %w", err)
	}
	s.watch.mu.Lock()
	s.watch.on, s.watch.moves = n == 1, n == 1 && m == 1
	s.watch.mu.Unlock()
	return nil
}

// drain reads and empties cache_changes (and, with moves, list_changes)
// inside the transaction.
func (tx *Tx) drain(ctx context.Context, moves bool) (Changes, error) {
	c, err := tx.drainKinds(ctx)
	if err != nil || !moves {
		c.Lists = c.Lists || len(c.Accounts) > 0
		return c, err
	}
	if c.Moves, err = tx.drainMoves(ctx); err != nil {
		return Changes{}, err
	}
	if len(c.Moves) > maxMoves {
		c.Moves, c.Lists = nil, true
	}
	return c, nil
}

func (tx *Tx) drainKinds(ctx context.Context) (Changes, error) {
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
		} else if kind == "lists" {
			c.Lists = true
		} else {
			c.All = true
		}
	}
	return c, rows.Err()
}

// drainMoves reads list_changes in the order its rows were written (a
// contact may move twice in one transaction), up to one more than
// maxMoves, and empties it.
func (tx *Tx) drainMoves(ctx context.Context) ([]ContactMove, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT old_id, old_account, old_status, old_last, old_first,
		new_id, new_account, new_status, new_last, new_first FROM list_changes ORDER BY rowid LIMIT ?`, maxMoves+1)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	var moves []ContactMove
	for rows.Next() {
		var ids, accounts [2]sql.NullInt64
		var status, last, first [2]sql.NullString
		if err := rows.Scan(&ids[0], &accounts[0], &status[0], &last[0], &first[0],
			&ids[1], &accounts[1], &status[1], &last[1], &first[1]); err != nil {
			return nil, fmt.Errorf("list changes: %w", err)
		}
		var e [2]*ListEntry
		for i := range e {
			if ids[i].Valid {
				e[i] = &ListEntry{AccountID: accounts[i].Int64, Status: status[i].String,
					Key: SortKey{Last: last[i].String, First: first[i].String, ID: ids[i].Int64}}
			}
		}
		moves = append(moves, ContactMove{Old: e[0], New: e[1]})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	rows.Close()
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM list_changes`); err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return moves, nil
}
