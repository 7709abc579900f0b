package core

import (
	"context"
	"fmt"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// voidInvitations ends a contact's pending invitations when it is
// suspended or removed: unsent mail is cancelled and a later reply grants
// nothing.
func (a *App) voidInvitations(ctx context.Context, tx *store.Tx, c *model.Contact, why string, now time.Time) error {
	pending, err := tx.PendingInvitationsOf(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, inv := range pending {
		if err := tx.CancelPendingMail(ctx, "invitation", inv.ID); err != nil {
			return err
		}
		n := *inv
		n.State, n.DecidedAt, n.Detail, n.Review = model.InvVoided, &now, "voided: "+why, ""
		if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "invitation.void",
			Entity: "invitation", EntityID: inv.ID, Before: inv, After: &n,
			Summary: fmt.Sprintf("Voided the invitation to %s <%s>: %s", inv.Name, inv.Email, why)}); err != nil {
			return err
		}
	}
	return nil
}

// checkReactivation refuses to make active a contact that never accepted
// an invitation: invited → suspended → active is invited → active.
func (a *App) checkReactivation(ctx context.Context, tx *store.Tx, before *model.Contact, status string) error {
	if status != model.StatusActive || before.Status != model.StatusSuspended {
		return nil
	}
	invited, accepted, err := tx.InvitationHistory(ctx, before.ID)
	if err != nil || invited == 0 || accepted {
		return err
	}
	return invalid("status", "%s never accepted the invitation: resend it from the Invitations page instead", before.Name())
}

// reinvite puts a contact suspended before accepting back to invited, for
// a new invitation.
func (a *App) reinvite(ctx context.Context, tx *store.Tx, c *model.Contact, now time.Time) error {
	before := cloneContact(c)
	c.Status, c.UpdatedAt = model.StatusInvited, now
	if err := tx.UpdateContact(ctx, c); err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "contact.update",
		Entity: "contact", EntityID: c.ID, Before: before, After: c,
		Summary: fmt.Sprintf("Invited %s again: status suspended → invited", c.Name())})
}
