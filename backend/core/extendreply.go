package core

import (
	"context"
	"errors"
	"strconv"
	"time"

	"grantbook/backend/classify"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// A reply to a grant reminder saying "please extend" becomes an access
// request, and only when our own receiving server verified its sender, by
// the rule that verifies invitation replies. It never extends by itself.

// replyWindow is how long after a grant's end a reply to its reminder is
// still read: the 1-day reminder answered a day late still asks.
const replyWindow = 30 * day

// reminder answers the classifier for a grant reminder's token.
func (l lookup) reminder(ctx context.Context, r *store.GrantReminder, err error) (*classify.Invitation, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := l.store.Contact(ctx, r.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &classify.Invitation{Kind: classify.KindReminder, Token: r.Token, Email: c.Email, MessageID: r.MessageID,
		State: model.InvSent, ExpiresAt: r.EndsAt.Add(replyWindow)}, nil
}

// reminderReply acts on a message about a grant reminder; false when the
// token is not a reminder's.
func (a *App) reminderReply(ctx context.Context, tx *store.Tx, ev *model.MailEvent, res classify.Result, out *outcome) (bool, error) {
	r, err := tx.ReminderByToken(ctx, res.Token)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || res.Verdict != classify.Extend {
		return err == nil, err
	}
	if !res.Authenticated {
		return true, nil // the event says why: never a request from an unverified sender
	}
	c, err := tx.Contact(ctx, r.ContactID)
	if err != nil {
		return true, notFoundOr(err, "contact", r.ContactID)
	}
	if c.Status != model.StatusActive {
		ev.Reason += "; no request: the contact is " + c.Status
		return true, nil
	}
	g, err := a.compiled(ctx, c)
	if err != nil {
		return true, err
	}
	chk, err := a.checkRequest(ctx, c, g, model.RequestExtend, "")
	if err == nil {
		var req *model.AccessRequest
		req, err = a.fileRequest(WithActor(ctx, "contact "+c.Email), tx, c, chk, "", "mail", "replied to the reminder that access ends "+
			r.EndsAt.Format(time.DateOnly))
		if err == nil {
			ev.Reason += "; access request #" + strconv.FormatInt(req.ID, 10)
			out.changed = true
		}
	}
	if e, ok := AsError(err); ok {
		ev.Reason += "; no request: " + e.Message
		return true, nil
	}
	return true, err
}
