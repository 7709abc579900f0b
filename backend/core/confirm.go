package core

import (
	"context"
	"fmt"
	"time"

	"grantbook/backend/classify"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Owner confirmation for high privilege: with the setting on, a verified
// acceptance of a grant with Full, admin or payment access waits in
// "awaiting your confirmation" (reason high_privilege) instead of granting.

// needsConfirmation names the high privilege an acceptance would activate
// when the owner asked to confirm it ("" when it may go ahead).
func (a *App) needsConfirmation(ctx context.Context, tx *store.Tx, inv *model.Invitation, res classify.Result) (string, error) {
	if res.Verdict != classify.Accept {
		return "", nil
	}
	st, err := a.lifecycle(ctx, tx.Q)
	if err != nil || !st.ConfirmHighPrivilege {
		return "", err
	}
	c, err := tx.Contact(ctx, inv.ContactID)
	if err != nil {
		return "", notFoundOr(err, "contact", inv.ContactID)
	}
	if c.Status != model.StatusInvited {
		return "", nil // nothing would be activated
	}
	return highPrivilege(c), nil
}

// awaitHighPrivilege holds a verified acceptance for the owner and tells
// the contact why access is not active yet.
func (a *App) awaitHighPrivilege(ctx context.Context, tx *store.Tx, inv *model.Invitation, res classify.Result, why string, now time.Time, out *outcome) error {
	n := *inv
	n.State, n.Review, n.AwaitingReason = model.InvAwaiting, string(res.Verdict), "high_privilege"
	n.Detail = fmt.Sprintf("%s accepted (verified: %s); the grant gives %s, which you asked to confirm before it becomes active",
		inv.Email, res.Auth, why)
	summary := fmt.Sprintf("%s <%s> accepted; %s awaits your confirmation", inv.Name, inv.Email, why)
	if err := a.writeInvitation(ctx, tx, inv, &n, "mail watcher", "invitation.awaiting", summary, now, out); err != nil {
		return err
	}
	return a.mailInvitee(ctx, tx, inv, "Your acceptance was received",
		"thank you for accepting. Because this access includes "+why+", it becomes active once the owner confirms it; "+
			"you will get an email then.")
}

// refuseHighPrivilege ends an invitation whose acceptance the owner did
// not confirm, and tells the contact.
func (a *App) refuseHighPrivilege(ctx context.Context, tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error {
	n := *inv
	n.State, n.Review, n.AwaitingReason, n.DecidedAt = model.InvRevoked, "", "", &now
	n.Detail = "the owner did not confirm the acceptance"
	if err := tx.CancelPendingMail(ctx, "invitation", inv.ID); err != nil {
		return err
	}
	summary := fmt.Sprintf("Did not confirm the acceptance of %s <%s>", inv.Name, inv.Email)
	if err := a.writeInvitation(ctx, tx, inv, &n, actor(ctx), "invitation.reject_reply", summary, now, out); err != nil {
		return err
	}
	return a.mailInvitee(ctx, tx, inv, "Your access was not confirmed",
		"the owner did not confirm the access you accepted, so it is not active. Ask them if you think this is a mistake.")
}

// mailInvitee sends a notice about the invitation to its contact.
func (a *App) mailInvitee(ctx context.Context, tx *store.Tx, inv *model.Invitation, subject, body string) error {
	c, err := tx.Contact(ctx, inv.ContactID)
	if err != nil {
		return notFoundOr(err, "contact", inv.ContactID)
	}
	return a.toClient(ctx, tx, inv.AccountID, 0, "invitation", subject, body, false, contactTo(c))
}
