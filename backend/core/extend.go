package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

// remindInvitation queues the one reminder of a pending invitation, in the
// transaction that records it.
func (a *App) remindInvitation(ctx context.Context, inv *model.Invitation, fromName, from string, now time.Time) error {
	ms, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	key, err := a.returnKey(ctx, true)
	if err != nil {
		return err
	}
	return a.change(WithActor(ctx, "system"), func(tx *store.Tx, e *model.AuditEntry) error {
		cur, err := tx.Invitation(ctx, inv.ID)
		if err != nil || cur.State != model.InvSent || cur.RemindedAt != nil || cur.MessageID != inv.MessageID {
			return err // changed meanwhile: nothing to remind of
		}
		acc, err := tx.Account(ctx, inv.AccountID)
		if err != nil {
			return err
		}
		fromName = orDefault(fromName, acc.Name)
		text := fmt.Sprintf("Hello %s,\n\na reminder: %s invited you to access the account \"%s\", and the invitation "+
			"expires on %s (%s).\n\nTo accept, simply reply to this email: any reply will do.\nTo decline, reply with \"no\".\n\n"+
			"Invitation code: %s\n(sent with Grantbook)\n", firstName(inv.Name), fromName, acc.Name,
			inv.ExpiresAt.In(zoneOf(ctx, tx.Q)).Format("2 January 2006"), daysLeft(inv.ExpiresAt, now), inv.Token)
		msgID := "grantbook-reminder." + randomToken()[:20] + "@" + domainOf(from, "grantbook.invalid")
		raw, err := outbox.Compose(outbox.Message{FromName: fromName, FromEmail: from, ToName: inv.Name, ToEmail: inv.Email,
			ReplyTo: replyAddress(ms, inv.Token), MessageID: msgID, InReplyTo: inv.MessageID, Date: now,
			Subject: "Reminder: your invitation to " + acc.Name + " expires " + daysLeft(inv.ExpiresAt, now), Text: text})
		if err != nil {
			return err
		}
		// Kind invitation: whatever voids the invitation cancels it too.
		err = tx.EnqueueMail(ctx, &model.OutboxMessage{MessageID: msgID, Kind: "invitation", RefID: inv.ID,
			From: outbox.ReturnPath(watchedAddress(ms), key, inv.MessageID), To: inv.Email, Raw: raw}, now)
		if err != nil {
			return err
		}
		n := *cur
		n.RemindedAt = &now
		if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "invitation.remind", "invitation", inv.ID, cur, &n
		e.Summary = fmt.Sprintf("Reminded %s <%s> that the invitation expires on %s", inv.Name, inv.Email, inv.ExpiresAt.In(zoneOf(ctx, tx.Q)).Format("2 January 2006"))
		return nil
	})
}

func firstName(name string) string {
	for i, r := range name {
		if r == ' ' {
			return name[:i]
		}
	}
	return name
}

// ExtendInput extends a grant: to Until, or (nil) by its original length.
type ExtendInput struct {
	Until *Expiry `json:"until"`
}

// ExtendGrant moves the end of a contact's grant: by the length it was
// given for (from the current end, or from now when it has passed), or to
// a chosen later date. It takes the path of every grant change.
func (a *App) ExtendGrant(ctx context.Context, contactID int64, in ExtendInput) (*model.Contact, error) {
	var out *model.Contact
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, c, err := a.extend(ctx, tx, contactID, in)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "grant.extend", "contact", c.ID, before, c
		e.Summary = fmt.Sprintf("Extended %s's access to %s", c.Name(), c.Grant.ExpiresAt.Format("2 January 2006 15:04 UTC"))
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.emit(Event{Kind: "attention:changed"})
	return a.decorate(out), nil
}

// extend computes the new end and applies it in tx.
func (a *App) extend(ctx context.Context, tx *store.Tx, contactID int64, in ExtendInput) (*model.Contact, *model.Contact, error) {
	cur, err := tx.Contact(ctx, contactID)
	if err != nil {
		return nil, nil, notFoundOr(err, "contact", contactID)
	}
	if cur.Grant.ExpiresAt == nil {
		return nil, nil, invalid("until", "%s's access does not end: there is nothing to extend", cur.Name())
	}
	now := a.now().UTC().Truncate(time.Second)
	term := cur.Grant.TermDays
	if term <= 0 {
		term = max(1, int(cur.Grant.ExpiresAt.Sub(cur.CreatedAt)/day))
	}
	from := *cur.Grant.ExpiresAt
	if from.Before(now) {
		from = now
	}
	until := from.AddDate(0, 0, term)
	if in.Until != nil {
		// A plain date lasts through that day in the owner's time zone.
		end, err := a.grantEnd(ctx, in.Until)
		if err != nil {
			return nil, nil, err
		}
		until = end.UTC()
		if !until.After(*cur.Grant.ExpiresAt) || !until.After(now) {
			return nil, nil, invalid("until", "choose a date after the current end (%s) and after now", cur.Grant.ExpiresAt.Format("2006-01-02"))
		}
	}
	exp := Expiry{Time: until}
	before, c, err := a.patchContact(ctx, tx, contactID, ContactPatch{ExpiresAt: Nullable[Expiry]{Set: true, Value: &exp}}, nil)
	if err != nil {
		return nil, nil, err
	}
	// An extension keeps the grant's length: the next one adds as much.
	if err := tx.SetGrantTerm(ctx, c.ID, term); err != nil {
		return nil, nil, err
	}
	c.Grant.TermDays = term
	return before, c, nil
}

// notFoundOr turns the store's ErrNotFound into a 404 naming the record.
func notFoundOr(err error, what string, id int64) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(what, id)
	}
	return err
}
