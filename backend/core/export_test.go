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
