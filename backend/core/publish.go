package core

import (
	"context"
	"strings"

	"grantbook/backend/address"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// keyPublish is the window's "Let contacts sign in" switch: it stays as the
// owner left it when the window closes, so reopening serves again.
const keyPublish = "client_area.publish"

// EventClientArea is emitted when the client area's settings change (saved,
// or a restore brought others): a window serving them starts again.
const EventClientArea = "client_area:changed"

// Publishing reports whether the owner switched "Let contacts sign in" on.
func (a *App) Publishing(ctx context.Context) (bool, error) {
	v, _, err := a.store.Setting(ctx, keyPublish)
	return v == "on", err
}

// SetPublishing records the switch, with an audit row.
func (a *App) SetPublishing(ctx context.Context, on bool) error {
	was, err := a.Publishing(ctx)
	if err != nil || was == on {
		return err
	}
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Before, e.After = "settings.publish", "settings", was, on
		if on {
			e.Summary = "Let contacts sign in: this window serves the client area"
			return tx.PutSetting(ctx, keyPublish, "on")
		}
		e.Summary = "Stopped letting contacts sign in from this window"
		return tx.DeleteSetting(ctx, keyPublish)
	})
}

// SignedIn counts the client-area sessions still signed in.
func (a *App) SignedIn(ctx context.Context) (int, error) {
	now := a.now()
	return a.store.LiveSessions(ctx, now, now.Add(-SessionIdle))
}

// Publishable says what keeps the window from serving the client area on
// its address: HTTPS always beyond this computer, with a certificate the
// owner gives, or an automatic one for a public name.
func (ca ClientArea) Publishable() error {
	switch {
	case ca.Address == "":
		return invalid("address", "set the address contacts use first")
	case ca.Network == address.Loopback:
		return invalid("address", "%s reaches only this computer: give the address contacts use on your network or the internet", ca.Address)
	case !strings.HasPrefix(ca.Address, "https://"):
		return invalid("address", "beyond this computer the window serves over HTTPS only: give an https:// address and a certificate")
	case ca.Certificate == "" && ca.Network == address.LAN:
		return invalid("certificate", "on your local network, give the certificate files for %s (see the help below)", ca.Host)
	case ca.Certificate == "":
		return invalid("certificate", "choose how HTTPS is had: an automatic certificate for %s, or your certificate files", ca.Host)
	}
	return nil
}
