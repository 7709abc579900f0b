package core

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// listMarkEvery is how far apart a listing's marks are: an offset= page
// steps over fewer index entries than this past the mark before it.
var listMarkEvery = 2048

// A listKey names a listing: its filter, paging aside.
type listKey struct {
	AccountID             int64
	Preset, Status, Query string
}

func listKeyOf(f ContactFilter) listKey {
	return listKey{AccountID: f.AccountID, Preset: f.Preset, Status: f.Status, Query: strings.TrimSpace(f.Query)}
}

// followed reports whether the listing depends on its contacts' rows
// alone, so that its count and marks follow their moves
// (store.Changes.Moves) instead of being read again: no search, preset or
// expiry (the active and expired filters) in it.
func (k listKey) followed() bool {
	return k.Query == "" && k.Preset == "" && (k.Status == "" || k.Status == model.StatusInvited || k.Status == model.StatusSuspended)
}

// holds reports whether a followed listing holds the entry.
func (k listKey) holds(e *store.ListEntry) bool {
	return e != nil && (k.AccountID == 0 || e.AccountID == k.AccountID) && (k.Status == "" || e.Status == k.Status)
}

// listDeltas are how many contacts a transaction's moves brought into
// each followed listing (negative: took out of it), for the listings any
// moved contact was or is in.
type listDeltas map[listKey]int

func deltasOf(moves []store.ContactMove) listDeltas {
	d := listDeltas{}
	add := func(e *store.ListEntry, n int) {
		if e == nil {
			return
		}
		for _, acct := range []int64{0, e.AccountID} {
			for _, status := range []string{"", e.Status} {
				d[listKey{AccountID: acct, Status: status}] += n
			}
		}
	}
	for _, m := range moves {
		add(m.New, 1)
		add(m.Old, -1)
	}
	return d
}

// marksKey names a listing's marks: they hold while its count does.
type marksKey struct {
	listKey
	At, ChangesAt int64
}

// listMarks are a listing's marks in list order: the sort keys of
// contacts and their offsets, every listMarkEvery-th contact when read
// (store.ListMarks), then moved with the contacts. Never changed: moved
// makes a copy.
type listMarks struct{ marks []listMark }

type listMark struct {
	key store.SortKey
	off int
}

func newListMarks(keys []store.SortKey) listMarks {
	m := listMarks{marks: make([]listMark, len(keys))}
	for i, k := range keys {
		m.marks[i] = listMark{key: k, off: (i+1)*listMarkEvery - 1}
	}
	return m
}

// moved are the marks of followed listing k after moves: each moves down
// by the contacts that came into the listing before it and up by those
// that left from before it (a contact that moves counts as both), and a
// mark whose contact left (or moved) goes. The moves add up, so their
// order does not matter. ok is false once the marks are too far apart to
// be worth keeping (more than 4 listMarkEvery): they are read again.
func (m listMarks) moved(k listKey, moves []store.ContactMove) (_ listMarks, ok bool) {
	var came, left []store.SortKey
	gone := map[int64]bool{}
	for _, mv := range moves {
		was, is := k.holds(mv.Old), k.holds(mv.New)
		if was && is && mv.Old.Key == mv.New.Key {
			continue // in place: a sort key changes only with its text
		}
		if was {
			left, gone[mv.Old.Key.ID] = append(left, mv.Old.Key), true
		}
		if is {
			came = append(came, mv.New.Key)
		}
	}
	if len(came)+len(left) == 0 {
		return m, true
	}
	order := func(a, b store.SortKey) int {
		if a.Before(b) {
			return -1
		}
		if b.Before(a) {
			return 1
		}
		return 0
	}
	slices.SortFunc(came, order)
	slices.SortFunc(left, order)
	before := func(keys []store.SortKey, k store.SortKey) int {
		return sort.Search(len(keys), func(i int) bool { return !keys[i].Before(k) })
	}
	marks := make([]listMark, 0, len(m.marks))
	prev := -1
	for _, l := range m.marks {
		if gone[l.key.ID] {
			continue
		}
		if l.off += before(came, l.key) - before(left, l.key); l.off-prev > 4*listMarkEvery {
			return m, false
		}
		marks, prev = append(marks, l), l.off
	}
	return listMarks{marks: marks}, len(marks) > 0
}

// errUnsettled is settled's: the value was read while a commit may have
// been on its way to the caches.
var errUnsettled = errors.New("read while a commit was settling")

// settled is load, but a value it reads while a commit that may change
// listings started or was on its way to the caches
// (store.ListGeneration odd or moved) comes with errUnsettled, so that
// cache.Map.Get does not keep it: the caches, told of that commit next,
// would move a count or marks that already hold it by the same change
// again.
func settled[V any](s *store.Store, load func() (V, error)) func() (V, error) {
	return func() (V, error) {
		g := s.ListGeneration()
		v, err := load()
		if err == nil && (g%2 != 0 || s.ListGeneration() != g) {
			return v, errUnsettled
		}
		return v, err
	}
}

// fromMark turns a deep offset= page of a counted listing into a page
// after the mark before it: SQLite steps over index entries one by one,
// a million in 14–26 ms. A page that lies more than listMarkEvery entries
// from both ends of a listing without marks is read as before (from the
// nearer end), and the listing's marks are read in the background for
// the next pages; they are kept, like its count, until its contacts
// change, and follow the changes of a followed listing.
func (a *App) fromMark(f ContactFilter, n store.ContactCount) ContactFilter {
	if !f.Counted || f.After != nil || strings.TrimSpace(f.Query) != "" || f.Offset >= f.Total {
		return f
	}
	if min(f.Offset, f.Total-min(f.Offset+f.Limit+1, f.Total)) <= listMarkEvery {
		return f // the store steps over at most that many, from the start or from the end
	}
	// Marks hold while the count does: for the filters on active or
	// expired, from the time it was counted at until the next expiry.
	// (No Forget here: it would start a new epoch for every listing's
	// marks, and drop those being read.)
	key := marksKey{listKeyOf(f), n.At, n.ChangesAt}
	m, ok := a.cached.marks.Peek(key)
	if !ok {
		a.marking.start(key, func(ctx context.Context) {
			_, err := a.cached.marks.Get(key, settled(a.store, func() (listMarks, error) {
				keys, err := a.store.ListMarks(ctx, f, listMarkEvery)
				return newListMarks(keys), err
			}))
			if err != nil && !errors.Is(err, errUnsettled) && ctx.Err() == nil {
				a.log.Warn("contact list: reading the listing's marks", "err", err)
			}
		})
		return f
	}
	// The last mark before the offset.
	if i := sort.Search(len(m.marks), func(i int) bool { return m.marks[i].off >= f.Offset }) - 1; i >= 0 {
		k := m.marks[i].key
		f.After, f.Offset = &k, f.Offset-m.marks[i].off-1
	}
	return f
}

// markBuilder runs the reads of listings' marks, one at a time per
// listing, until stopped.
type markBuilder struct {
	mu      sync.Mutex
	running map[marksKey]bool
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newMarkBuilder() *markBuilder {
	ctx, cancel := context.WithCancel(context.Background())
	return &markBuilder{running: map[marksKey]bool{}, ctx: ctx, cancel: cancel}
}

// start runs fn for key in the background unless it is running already.
func (b *markBuilder) start(key marksKey, fn func(ctx context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || b.running[key] {
		return
	}
	b.running[key] = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		fn(b.ctx)
		b.mu.Lock()
		delete(b.running, key)
		b.mu.Unlock()
	}()
}

// stop cancels the reads under way, waits for them and starts no more.
func (b *markBuilder) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
}
