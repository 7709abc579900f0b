package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/classify"
	"grantbook/backend/inbox"
	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

// lookup answers the classifier from the store.
type lookup struct {
	store *store.Store
	key   []byte // return-path key; nil: no tag is known
}

func (l lookup) record(tr *store.TokenRecord, err error) (*classify.Invitation, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	state := tr.Invitation.State
	if tr.Voided {
		state = "superseded"
	}
	inv := &classify.Invitation{Token: tr.Token, Email: tr.Invitation.Email, MessageID: tr.MessageID,
		State: state, ExpiresAt: tr.Invitation.ExpiresAt}
	if l.key != nil {
		inv.ReturnTag = outbox.ReturnTag(l.key, tr.MessageID)
	}
	return inv, nil
}

func (l lookup) ByToken(ctx context.Context, t string) (*classify.Invitation, error) {
	inv, err := l.record(l.store.InvitationByToken(ctx, t))
	if inv != nil || err != nil {
		return inv, err
	}
	r, err := l.store.ReminderByToken(ctx, t)
	return l.reminder(ctx, r, err)
}

func (l lookup) ByMessageID(ctx context.Context, id string) (*classify.Invitation, error) {
	inv, err := l.record(l.store.InvitationByMessageID(ctx, id))
	if inv != nil || err != nil {
		return inv, err
	}
	r, err := l.store.ReminderByMessageID(ctx, id)
	return l.reminder(ctx, r, err)
}

// Cursor implements inbox.Processor.
func (a *App) Cursor(ctx context.Context, mailbox string) (uint32, uint32, bool, error) {
	return a.store.InboxCursor(ctx, mailbox)
}

// SetCursor implements inbox.Processor.
func (a *App) SetCursor(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	return a.store.Tx(ctx, func(tx *store.Tx) error { return tx.PutInboxCursor(ctx, mailbox, uidValidity, lastUID) })
}

// Watch implements inbox.Processor: when the first invitation was made,
// and the addresses with a pending invitation.
func (a *App) Watch(ctx context.Context) (inbox.Watch, error) {
	since, err := a.store.FirstInvitation(ctx)
	if err != nil {
		return inbox.Watch{}, err
	}
	// Replies to grant reminders count too: a contact added without an
	// invitation may ask to extend.
	rem, err := a.store.FirstReminder(ctx)
	if err != nil {
		return inbox.Watch{}, err
	}
	if since.IsZero() || (!rem.IsZero() && rem.Before(since)) {
		since = rem
	}
	invitees, err := a.store.PendingInvitees(ctx)
	return inbox.Watch{Since: since, Invitees: invitees}, err
}

// Process implements inbox.Processor: classify one incoming message, act on
// the verdict, log the decision and advance the cursor, in one transaction.
// A storage error leaves everything, the cursor included, as it was: the
// watcher tries the message again.
func (a *App) Process(ctx context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error {
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	key, err := a.returnKey(ctx, false)
	if err != nil {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	res, err := classify.Classify(ctx, raw, lookup{a.store, key}, classify.Config{AuthServID: st.IMAP.TrustedAuthServID, Now: now})
	if err != nil {
		return err
	}
	var out outcome
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		ev := &model.MailEvent{At: now, UID: uid, MessageID: res.MessageID, From: res.From, Subject: res.Subject,
			Verdict: eventVerdict(res), Reason: eventReason(res)}
		linked, err := a.linkEvent(ctx, tx, ev, res, now, &out)
		if err != nil {
			return err
		}
		for _, e := range linked {
			if err := tx.InsertMailEvent(ctx, e); err != nil {
				return err
			}
		}
		return tx.PutInboxCursor(ctx, mailbox, uidValidity, uid)
	})
	if err != nil {
		return err
	}
	if out.accepted != "" {
		a.wake() // the welcome mail the acceptance queued goes now, not at the outbox's next tick
	}
	if out.changed || res.Verdict != classify.Ignore {
		a.emit(Event{Kind: "invitations:changed", Accepted: out.accepted})
	}
	return nil
}

// outcome is what a decision changed, for the event sent afterwards.
type outcome struct {
	accepted string // name of who accepted
	changed  bool
}

// linkEvent acts on the result and returns the events to record: tied to
// the invitation it concerns, or, for a message no invitation claims, to
// every pending invitation of its sender, so that the owner sees each
// message an invitee wrote.
func (a *App) linkEvent(ctx context.Context, tx *store.Tx, ev *model.MailEvent, res classify.Result, now time.Time, out *outcome) ([]*model.MailEvent, error) {
	if res.Token != "" {
		tr, err := tx.InvitationByToken(ctx, res.Token)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			ev.InvitationID = tr.Invitation.ID
			if err := a.applyVerdict(ctx, tx, tr, res, now, out); err != nil {
				return nil, err
			}
			return []*model.MailEvent{ev}, nil
		}
		if done, err := a.reminderReply(ctx, tx, ev, res, out); err != nil || done {
			return []*model.MailEvent{ev}, err
		}
	}
	pending, err := tx.PendingInvitationsFor(ctx, res.From)
	if err != nil || len(pending) == 0 {
		return []*model.MailEvent{ev}, err
	}
	var evs []*model.MailEvent
	for _, inv := range pending {
		e := *ev
		e.InvitationID = inv.ID
		evs = append(evs, &e)
	}
	return evs, nil
}

// eventVerdict is the verdict shown in the mail activity: what the message
// asked for may still wait for the owner.
func eventVerdict(res classify.Result) string {
	switch {
	case (res.Verdict == classify.Accept || res.Verdict == classify.Decline) && !res.Authenticated:
		return "awaiting"
	case res.Verdict == classify.Bounce && !res.ReturnPath:
		return "possible_bounce"
	case res.Verdict == classify.Extend && !res.Authenticated:
		return "extend_unverified"
	}
	return string(res.Verdict)
}

func eventReason(res classify.Result) string {
	r := res.Reason
	switch {
	case res.Auth != "" && res.Authenticated:
		r += "; " + res.Auth
	case res.Auth != "":
		r += "; not verified: " + res.Auth
	}
	if res.Diagnostic != "" && (res.Verdict == classify.Bounce || res.Verdict == classify.Delayed) {
		r += ": " + res.Diagnostic
	}
	if res.Verdict == classify.Bounce && !res.ReturnPath {
		r += " (the report did not come back to this invitation's return path)"
	}
	return r
}

// applyVerdict turns the classifier's result into state changes. Only a
// verified reply and a report to the invitation's return path change the
// state by themselves; anything else waits for the owner. The state is
// checked again here, inside the transaction.
func (a *App) applyVerdict(ctx context.Context, tx *store.Tx, tr *store.TokenRecord, res classify.Result, now time.Time, out *outcome) error {
	inv := tr.Invitation
	if tr.Voided || !inv.Pending() {
		return nil
	}
	switch res.Verdict {
	case classify.Accept, classify.Decline:
		if !now.Before(inv.ExpiresAt) {
			return nil
		}
		if !res.Authenticated {
			return a.awaitOwner(ctx, tx, inv, res, now, out)
		}
		if why, err := a.needsConfirmation(ctx, tx, inv, res); err != nil || why != "" {
			if err != nil {
				return err
			}
			return a.awaitHighPrivilege(ctx, tx, inv, res, why, now, out)
		}
		return a.answer(ctx, tx, inv, string(res.Verdict), "invitee "+res.From, res.Reason+"; "+res.Auth, now, out)
	case classify.Bounce:
		if !res.ReturnPath {
			return a.notice(ctx, tx, inv, model.NoticePossibleBounce, res.Diagnostic, now, out)
		}
		return a.bounce(ctx, tx, inv, "mail watcher", res.Diagnostic, now, out)
	case classify.Delayed:
		return a.notice(ctx, tx, inv, model.NoticeDelayed, res.Diagnostic, now, out)
	}
	return nil
}

// answer applies an accept or a decline: an accept activates the contact,
// and only a contact that is still invited.
func (a *App) answer(ctx context.Context, tx *store.Tx, inv *model.Invitation, verdict, who, detail string, now time.Time, out *outcome) error {
	n := *inv
	n.DecidedAt, n.Review, n.Detail, n.AwaitingReason = &now, "", detail, ""
	action, summary := "invitation.decline", fmt.Sprintf("%s <%s> declined the invitation", inv.Name, inv.Email)
	n.State = model.InvDeclined
	if verdict == string(classify.Accept) {
		ok, err := a.activate(ctx, tx, inv, who, now)
		if err != nil || !ok {
			return err
		}
		n.State, action = model.InvAccepted, "invitation.accept"
		summary = fmt.Sprintf("%s <%s> accepted the invitation", inv.Name, inv.Email)
		out.accepted = inv.Name
	}
	return a.writeInvitation(ctx, tx, inv, &n, who, action, summary, now, out)
}

// activate makes the invited contact active; false when it is no longer
// invited (suspended, removed, changed), which grants nothing.
func (a *App) activate(ctx context.Context, tx *store.Tx, inv *model.Invitation, who string, now time.Time) (bool, error) {
	c, err := tx.Contact(ctx, inv.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || c.Status != model.StatusInvited || !asciiEqualFold(c.Email, inv.Email) {
		return false, err
	}
	if ok, err := tx.ActivateInvitedContact(ctx, c.ID, now); err != nil || !ok {
		return false, err
	}
	before := cloneContact(c)
	c.Status, c.UpdatedAt = model.StatusActive, now
	err = tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: who, Action: "contact.activate",
		Entity: "contact", EntityID: c.ID, Before: before, After: c,
		Summary: fmt.Sprintf("%s accepted by email: %s access is now active", c.Name(), presetLabel(c.Grant.Preset))})
	if err != nil {
		return false, err
	}
	// The welcome mail: whether the reply was verified or the owner
	// confirmed it, acceptance passes here, once.
	return true, a.queueAccessMail(ctx, tx, c, accessAccepted, inv.Token, now)
}

// awaitOwner puts an unverified reply before the owner.
func (a *App) awaitOwner(ctx context.Context, tx *store.Tx, inv *model.Invitation, res classify.Result, now time.Time, out *outcome) error {
	n := *inv
	n.State, n.Review, n.AwaitingReason = model.InvAwaiting, string(res.Verdict), "unverified"
	n.Detail = fmt.Sprintf("%s replied (%s), but the reply could not be verified: %s", inv.Email, res.Verdict, res.Auth)
	summary := fmt.Sprintf("Reply from %s <%s> awaits your confirmation: %s", inv.Name, inv.Email, res.Auth)
	return a.writeInvitation(ctx, tx, inv, &n, "mail watcher", "invitation.awaiting", summary, now, out)
}

// bounce marks the invitation bounced.
func (a *App) bounce(ctx context.Context, tx *store.Tx, inv *model.Invitation, who, diag string, now time.Time, out *outcome) error {
	n := *inv
	n.State, n.DecidedAt, n.Detail, n.Review = model.InvBounced, &now, "bounced: "+diag, ""
	n.Notice, n.NoticeDetail, n.NoticeAt = "", "", nil
	summary := fmt.Sprintf("Invitation to %s <%s> bounced: %s", inv.Name, inv.Email, diag)
	return a.writeInvitation(ctx, tx, inv, &n, who, "invitation.bounce", summary, now, out)
}

// notice records a report that changes nothing by itself. A possible
// bounce is not replaced by a later delay.
func (a *App) notice(ctx context.Context, tx *store.Tx, inv *model.Invitation, kind, detail string, now time.Time, out *outcome) error {
	if kind == model.NoticeDelayed && inv.Notice == model.NoticePossibleBounce {
		return nil
	}
	n := *inv
	n.Notice, n.NoticeDetail, n.NoticeAt = kind, detail, &now
	what := "may have bounced"
	if kind == model.NoticeDelayed {
		what = "is delayed"
	}
	summary := fmt.Sprintf("Invitation to %s <%s> %s: %s", inv.Name, inv.Email, what, detail)
	return a.writeInvitation(ctx, tx, inv, &n, "mail watcher", "invitation.notice", summary, now, out)
}

// writeInvitation stores the new invitation with its audit row.
func (a *App) writeInvitation(ctx context.Context, tx *store.Tx, before, n *model.Invitation, who, action, summary string, now time.Time, out *outcome) error {
	if err := tx.UpdateInvitation(ctx, n, now); err != nil {
		return err
	}
	out.changed = true
	return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: who, Action: action, Entity: "invitation",
		EntityID: before.ID, Before: before, After: n, Summary: summary})
}

// asciiEqualFold compares addresses the way the classifier does.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
