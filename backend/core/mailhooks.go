package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// mailSent is the outbox hook: the invitation moves from queued to sent.
func (a *App) mailSent(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, now time.Time) error {
	if m.Kind == kindSigninCode {
		a.held.drop(m.MessageID)
		return nil
	}
	if m.Kind != "invitation" {
		return nil
	}
	inv, err := tx.Invitation(ctx, m.RefID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || inv.State != model.InvQueued || inv.MessageID != m.MessageID {
		return err
	}
	n := *inv
	n.State, n.SentAt = model.InvSent, &now
	if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "system", Action: "invitation.sent", Entity: "invitation",
		EntityID: inv.ID, Before: inv, After: &n, Summary: fmt.Sprintf("Invitation email to %s <%s> sent", inv.Name, inv.Email)})
}

// mailFailed is the outbox hook for a message the server refused for good.
func (a *App) mailFailed(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, reason string, now time.Time) error {
	if m.Kind == kindSigninCode {
		a.held.drop(m.MessageID)
		return nil
	}
	if m.Kind != "invitation" {
		return nil
	}
	inv, err := tx.Invitation(ctx, m.RefID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || !inv.Pending() || inv.MessageID != m.MessageID {
		return err
	}
	n := *inv
	n.State, n.DecidedAt, n.Detail = model.InvBounced, &now, "the mail server refused it: "+reason
	if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "system", Action: "invitation.bounce", Entity: "invitation",
		EntityID: inv.ID, Before: inv, After: &n, Summary: fmt.Sprintf("Invitation to %s <%s> refused: %s", inv.Name, inv.Email, reason)})
}
