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
	if err := a.accessMailDone(ctx, tx, m, "", now); err != nil {
		return err
	}
	inv, err := a.outboxInvitation(ctx, tx, m)
	if err != nil || inv == nil || inv.State != model.InvQueued {
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
	if err := a.accessMailDone(ctx, tx, m, reason, now); err != nil {
		return err
	}
	inv, err := a.outboxInvitation(ctx, tx, m)
	if err != nil || inv == nil || !inv.Pending() {
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

// outboxInvitation is the invitation an outbox message is the current
// email of, or nil. A sign-in code mail is done with: its held body goes.
func (a *App) outboxInvitation(ctx context.Context, tx *store.Tx, m *model.OutboxMessage) (*model.Invitation, error) {
	if m.Kind == kindSigninCode {
		a.held.drop(m.MessageID)
		return nil, nil
	}
	if m.Kind != "invitation" {
		return nil, nil
	}
	inv, err := tx.Invitation(ctx, m.RefID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inv.MessageID != m.MessageID) {
		return nil, nil
	}
	return inv, err
}
