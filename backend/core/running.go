package core

import (
	"context"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// runningKey is set while a process has the data open and removed by a
// clean Close: found at Open, it says the last run crashed (or was
// killed), and with it the client area's views it had queued and not yet
// written (viewlog.go).
const runningKey = "process.running_since"

// markRunning records that this process has the data, and notes in the
// audit log that the previous one did not stop cleanly.
func (a *App) markRunning(ctx context.Context) error {
	since, crashed, err := a.store.Setting(ctx, runningKey)
	if err != nil {
		return err
	}
	now := a.now().UTC()
	return a.store.Tx(ctx, func(tx *store.Tx) error {
		if crashed {
			if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "system", Action: "system.unclean_stop",
				Entity: "database", Summary: "Grantbook, running since " + since + ", stopped without closing: " +
					"the client area's views of its last moments may be missing from this log"}); err != nil {
				return err
			}
		}
		return tx.PutSetting(ctx, runningKey, now.Format(time.RFC3339))
	})
}

// markStopped writes the views still queued, then removes the mark.
func (a *App) markStopped(ctx context.Context) error {
	a.views.close()
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteSetting(ctx, runningKey) })
}
