package core

import (
	"context"
	"sync"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// syncState holds what sync with a hub (backend/hub, issue 18) needs from
// the core without the core depending on it: the store to open the change
// log on, the audit, and a stop that runs before the store closes.
type syncState struct {
	mu    sync.Mutex
	stops []func()
}

// Store is the open store, for the change log (backend/changelog) that
// sync opens on it.
func (a *App) Store() *store.Store { return a.store }

// OnClose runs stop when Close begins, before the store closes: sync stops
// there so that nothing writes to a closed store.
func (a *App) OnClose(stop func()) {
	a.syncs.mu.Lock()
	a.syncs.stops = append(a.syncs.stops, stop)
	a.syncs.mu.Unlock()
}

func (a *App) stopSync() {
	a.syncs.mu.Lock()
	stops := a.syncs.stops
	a.syncs.stops = nil
	a.syncs.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// AuditSync records a pairing change (sync.connect, sync.pair, …) by
// whoever acts in ctx.
func (a *App) AuditSync(ctx context.Context, action, summary string) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertAudit(ctx, &model.AuditEntry{At: a.now(), Actor: actor(ctx), Action: action, Entity: "sync", Summary: summary})
	})
}
