package core

import (
	"errors"

	"grantbook/backend/store"
)

// StoreForTest lets this package's tests look at the rows behind the API.
func (a *App) StoreForTest() *store.Store { return a.store }

// SessionCachedForTest reports whether session id is in the sessions'
// cache, without loading it.
func (a *App) SessionCachedForTest(id int64) bool {
	errLoad := errors.New("not cached")
	_, err := a.cached.sessions.Get(id, func() (*liveSession, error) { return nil, errLoad })
	return err == nil
}

// SetListMarkEveryForTest sets how far apart listings' marks are and
// returns the function that sets it back.
func SetListMarkEveryForTest(n int) func() {
	old := listMarkEvery
	listMarkEvery = n
	return func() { listMarkEvery = old }
}

// ListMarksHeldForTest is how many listings' marks are in memory.
func (a *App) ListMarksHeldForTest() int { return a.cached.marks.Len() }

// WaitListMarksForTest waits for the reads of listings' marks under way.
func (a *App) WaitListMarksForTest() { a.marking.wg.Wait() }

// ListMarksForTest are the contact ids and offsets of the marks held for
// listing f (a followed one: no expiry in it), and whether any are held.
func (a *App) ListMarksForTest(f ContactFilter) (ids []int64, offs []int, ok bool) {
	m, ok := a.cached.marks.Peek(marksKey{listKey: listKeyOf(f)})
	for _, l := range m.marks {
		ids, offs = append(ids, l.key.ID), append(offs, l.off)
	}
	return ids, offs, ok
}
