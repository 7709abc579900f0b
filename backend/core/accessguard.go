package core

import (
	"context"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// AccessGuard vets a contact's stored access rows before a grant is
// compiled from them. A hub sets one (backend/changelog's Log.Verify): its
// database holds what the owner's signed events said, and a row edited
// behind their back must grant nothing.
type AccessGuard func(ctx context.Context, contactID int64) error

// SetAccessGuard installs g (nil removes it) and drops the cached grants.
func (a *App) SetAccessGuard(g AccessGuard) {
	if g == nil {
		a.guard.Store(nil)
	} else {
		a.guard.Store(&g)
	}
	a.cached.forget(store.Changes{All: true})
}

// grantFor is access.Compile behind the guard: a contact the guard refuses
// (or cannot vet) gets a suspended grant, which allows nothing.
func (a *App) grantFor(ctx context.Context, c *model.Contact) (access.Grant, error) {
	g, err := access.Compile(c)
	if err != nil {
		return g, err
	}
	if guard := a.guard.Load(); guard != nil {
		if err := (*guard)(ctx, c.ID); err != nil {
			a.log.Warn("access rows not verified: no access", "contact", c.ID, "err", err)
			g.Status = model.StatusSuspended
		}
	}
	return g, nil
}
