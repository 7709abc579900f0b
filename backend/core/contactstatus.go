package core

import (
	"context"

	"grantbook/backend/model"
)

// invitedStatus is what an invited contact's status reads once their
// latest invitation no longer waits for an answer.
var invitedStatus = map[string]string{
	model.InvDeclined: model.StatusDeclined,
	model.InvExpired:  model.StatusInvitationExpired,
	model.InvBounced:  model.StatusBounced,
	model.InvRevoked:  model.StatusRevoked,
}

// decorateOne is decorate plus, for an invited contact, their latest
// invitation and the status it gives.
func (a *App) decorateOne(ctx context.Context, c *model.Contact) *model.Contact {
	a.decorateAll(ctx, []*model.Contact{c})
	return c
}

// decorateAll decorates cs, reading the invitations of the invited ones at
// once. Failing to read them leaves the plain status: it is only a label.
func (a *App) decorateAll(ctx context.Context, cs []*model.Contact) {
	var invited []int64
	for _, c := range cs {
		a.decorate(c)
		if c.Status == model.StatusInvited {
			invited = append(invited, c.ID)
		}
	}
	if len(invited) == 0 {
		return
	}
	latest, err := a.store.LatestInvitations(ctx, invited)
	if err != nil {
		a.log.Warn("reading the contacts' invitations", "err", err)
		return
	}
	for _, c := range cs {
		if inv := latest[c.ID]; inv != nil && c.Status == model.StatusInvited {
			// Past its expiry, a pending one is as good as expired (the
			// timer marks it so within a minute; reads write nothing).
			pending := inv.State == model.InvQueued || inv.State == model.InvSent
			if pending && !a.now().Before(inv.ExpiresAt) {
				inv.State = model.InvExpired
			}
			c.Invitation = inv
			if s, ok := invitedStatus[inv.State]; ok {
				c.EffectiveStatus = s
			}
		}
	}
}

// alreadyKnown is the conflict of inviting someone who is a contact of the
// account already, worded by where they stand.
func (a *App) alreadyKnown(ctx context.Context, c *model.Contact) error {
	msg := "this person already has access to this account: change their access on the contact page"
	if c.Status == model.StatusInvited {
		a.decorateOne(ctx, c)
		switch c.EffectiveStatus {
		case model.StatusInvited:
			msg = "this person already has a pending invitation: resend or revoke it instead"
		default:
			word := map[string]string{model.StatusDeclined: "was declined", model.StatusInvitationExpired: "expired",
				model.StatusBounced: "bounced", model.StatusRevoked: "was revoked"}[c.EffectiveStatus]
			msg = "this person's invitation " + orDefault(word, "ended") + ": send it again with Resend, on their contact page or under Invitations"
		}
	}
	return &Error{Code: CodeConflict, Field: "email", Message: msg}
}
