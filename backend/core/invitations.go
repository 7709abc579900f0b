package core

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/mail"
	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

// InvitationInput invites someone: the contact fields and grant as for a
// contact, plus an optional personal note.
type InvitationInput struct {
	ContactInput
	Note string `json:"message"`
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newToken makes a 26-character token of 128 random bits.
func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return tokenEncoding.EncodeToString(b)
}

// messageID is the stable id of the invitation message for a token.
func messageID(token, fromEmail string) string {
	return "grantbook." + token + "@" + domainOf(fromEmail, "grantbook.invalid")
}

func domainOf(addr, def string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return def
}

// Invite creates (or reuses) the contact as invited, stores the invitation
// and queues its email, all in one transaction; the outbox sends it.
func (a *App) Invite(ctx context.Context, in InvitationInput) (*model.Invitation, error) {
	return a.invite(ctx, in, nil)
}

func (a *App) invite(ctx context.Context, in InvitationInput, guard contactGuard) (*model.Invitation, error) {
	if len(in.Note) > 2000 {
		return nil, invalid("message", "the personal message is too long (2000 characters at most)")
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return nil, err
	}
	if existing, err := a.store.ContactByEmail(ctx, in.Email, in.AccountID); err == nil && existing.AccountID == in.AccountID {
		return nil, a.alreadyKnown(ctx, existing)
	}
	if !st.SMTP.Configured() {
		return nil, invalid("email", "set up the mail server under Settings first: invitations go out by email")
	}
	key, err := a.returnKey(ctx, true)
	if err != nil {
		return nil, err
	}
	var inv *model.Invitation
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		c, err := a.prepareContact(ctx, in.ContactInput, model.StatusInvited)
		if err != nil {
			return err
		}
		if guard != nil {
			if err := guard(tx, nil, c); err != nil {
				return err
			}
		}
		if err := tx.InsertContact(ctx, c); err != nil {
			return a.contactWriteError(err)
		}
		now := a.now().UTC().Truncate(time.Second)
		inv = &model.Invitation{AccountID: c.AccountID, ContactID: c.ID, Email: c.Email, Name: c.Name(),
			State: model.InvQueued, Note: strings.TrimSpace(in.Note), CreatedAt: now,
			ExpiresAt: now.AddDate(0, 0, st.InvitationExpiryDays)}
		inv.Token = newToken()
		inv.MessageID = messageID(inv.Token, st.SMTP.FromEmail)
		if err := tx.InsertInvitation(ctx, inv); err != nil {
			return err
		}
		if err := a.queueInvitation(ctx, tx, inv, c, st, key, now); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "invitation.create", "invitation", inv.ID, map[string]any{"invitation": inv, "contact": c}
		e.Summary = fmt.Sprintf("Invited %s <%s> with %s access", c.Name(), c.Email, presetLabel(c.Grant.Preset))
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.afterInvitationChange()
	return inv, nil
}

// prepareContact validates a contact input without writing it.
func (a *App) prepareContact(ctx context.Context, in ContactInput, status string) (*model.Contact, error) {
	if in.AccountID == 0 {
		return nil, invalid("account_id", "account_id is required")
	}
	if _, err := a.Account(ctx, in.AccountID); err != nil {
		if e, ok := AsError(err); ok && e.Code == CodeNotFound {
			e.Field = "account_id"
		}
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	c := &model.Contact{AccountID: in.AccountID, AccountType: in.AccountType, FirstName: in.FirstName,
		LastName: in.LastName, Email: in.Email, Phone: in.Phone, Company: in.Company, Role: in.Role,
		Status: status, CreatedAt: now, UpdatedAt: now}
	g := grantInput{Preset: in.Preset, Permissions: in.Permissions, ServiceIDs: in.ServiceIDs, Admin: in.Admin, BillingScope: in.BillingScope}
	var err error
	if g.ExpiresAt, err = a.grantEnd(ctx, in.ExpiresAt); err != nil {
		return nil, err
	}
	if err := normaliseContact(c); err != nil {
		return nil, err
	}
	if err := a.applyGrant(ctx, c, g); err != nil {
		return nil, err
	}
	return c, nil
}

// queueInvitation composes the invitation email and writes it to the
// outbox, with a return path of its own (see outbox.ReturnPath).
func (a *App) queueInvitation(ctx context.Context, tx *store.Tx, inv *model.Invitation, c *model.Contact, st mail.Settings, key []byte, now time.Time) error {
	acc, err := tx.Account(ctx, inv.AccountID)
	if err != nil {
		return err
	}
	tpl, err := a.Template(ctx)
	if err != nil {
		return err
	}
	area, err := a.ClientArea(ctx)
	if err != nil {
		return err
	}
	fromName := st.SMTP.FromName
	if fromName == "" {
		fromName = acc.Name
	}
	fields := invitationFields{FirstName: c.FirstName, LastName: c.LastName,
		FromName: fromName, AccountName: acc.Name, Access: presetLabel(c.Grant.Preset), Note: inv.Note,
		Expires: inv.ExpiresAt.In(area.location()).Format("2 January 2006"), Token: inv.Token, SignInLink: area.SignIn}
	filled, err := renderInvitation(tpl, fields)
	if err != nil {
		// Saving checks a template; one stored otherwise (an older version,
		// a restore) may still fail: the built-in one always fits.
		a.log.Warn("the invitation template cannot be filled in; the built-in one is used", "err", err)
		filled, err = renderInvitation(DefaultTemplate, fields)
		if errors.Is(err, errTooLarge) {
			return invalid("message", "the invitation email would be larger than %d KiB: shorten the personal message or the sender name", MaxRendered>>10)
		}
		if err != nil {
			return err
		}
	}
	from := st.SMTP.FromEmail
	raw, err := outbox.Compose(outbox.Message{FromName: fromName, FromEmail: from, ToName: c.Name(), ToEmail: c.Email,
		ReplyTo: replyAddress(st, inv.Token), MessageID: inv.MessageID, Subject: filled.Subject,
		Text: withSignIn(filled.Body, area.SignIn), Date: now})
	if err != nil {
		return err
	}
	return tx.EnqueueMail(ctx, &model.OutboxMessage{MessageID: inv.MessageID, Kind: "invitation", RefID: inv.ID,
		From: outbox.ReturnPath(watchedAddress(st), key, inv.MessageID), To: c.Email, Raw: raw}, now)
}

// watchedAddress is the address of the watched mailbox: its IMAP login
// when that is an address, else the sender.
func watchedAddress(st mail.Settings) string {
	if strings.Contains(st.IMAP.Username, "@") {
		return st.IMAP.Username
	}
	return st.SMTP.FromEmail
}

// replyAddress is the watched mailbox's address with the token as a plus
// tag, so a reply is matched even when a mail client drops In-Reply-To.
func replyAddress(st mail.Settings, token string) string {
	base := watchedAddress(st)
	at := strings.LastIndexByte(base, '@')
	if at <= 0 {
		return ""
	}
	local := base[:at]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	return local + "+" + token + base[at:]
}

// Resend issues a new token and message; the old token stops working.
func (a *App) Resend(ctx context.Context, id int64) (*model.Invitation, error) {
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return nil, err
	}
	key, err := a.returnKey(ctx, true)
	if err != nil {
		return nil, err
	}
	var inv *model.Invitation
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := a.loadInvitation(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.State == model.InvAccepted {
			return invalid("state", "this invitation was already accepted")
		}
		c, err := tx.Contact(ctx, before.ContactID)
		if err != nil {
			return err
		}
		now := a.now().UTC().Truncate(time.Second)
		switch {
		case c.Status == model.StatusInvited:
		case before.State == model.InvVoided && c.Status == model.StatusSuspended:
			if err := a.reinvite(ctx, tx, c, now); err != nil {
				return err
			}
		default:
			return invalid("state", "%s already has access; nothing to resend", c.Name())
		}
		n := *before
		n.Token = newToken()
		n.MessageID = messageID(n.Token, st.SMTP.FromEmail)
		n.State, n.Detail, n.SentAt, n.DecidedAt = model.InvQueued, "", nil, nil
		n.Review, n.Notice, n.NoticeDetail, n.NoticeAt = "", "", "", nil
		n.ExpiresAt = now.AddDate(0, 0, st.InvitationExpiryDays)
		if err := tx.CancelPendingMail(ctx, "invitation", id); err != nil {
			return err
		}
		if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
			return err
		}
		if err := a.queueInvitation(ctx, tx, &n, c, st, key, now); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "invitation.resend", "invitation", id, before, &n
		e.Summary = fmt.Sprintf("Resent the invitation to %s <%s>; the previous code no longer works", c.Name(), c.Email)
		inv = &n
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.afterInvitationChange()
	return inv, nil
}

// Revoke withdraws a pending invitation: unsent mail is cancelled and a
// later reply grants nothing.
func (a *App) Revoke(ctx context.Context, id int64) (*model.Invitation, error) {
	var inv *model.Invitation
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := a.loadInvitation(ctx, tx, id)
		if err != nil {
			return err
		}
		if !before.Pending() {
			return invalid("state", "only a pending invitation can be revoked (this one is %s)", before.State)
		}
		now := a.now().UTC().Truncate(time.Second)
		n := *before
		n.State, n.DecidedAt, n.Detail = model.InvRevoked, &now, "revoked by the owner"
		if err := tx.CancelPendingMail(ctx, "invitation", id); err != nil {
			return err
		}
		if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "invitation.revoke", "invitation", id, before, &n
		e.Summary = fmt.Sprintf("Revoked the invitation to %s <%s>", n.Name, n.Email)
		inv = &n
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.afterInvitationChange()
	return inv, nil
}

func (a *App) loadInvitation(ctx context.Context, tx *store.Tx, id int64) (*model.Invitation, error) {
	inv, err := tx.Invitation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("invitation", id)
	}
	return inv, err
}

// InvitationFilter narrows the invitation list.
type InvitationFilter = store.InvitationFilter

// Invitations lists invitations newest first; expired ones are marked so
// on the way.
func (a *App) Invitations(ctx context.Context, f InvitationFilter) ([]*model.Invitation, int, error) {
	if err := a.ExpireInvitations(ctx); err != nil {
		return nil, 0, err
	}
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	out, n, err := a.store.Invitations(ctx, f)
	return a.decorateInvitations(ctx, out), n, err
}

// Invitation loads one invitation.
func (a *App) Invitation(ctx context.Context, id int64) (*model.Invitation, error) {
	inv, err := a.store.Invitation(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("invitation", id)
	}
	if err == nil {
		a.decorateInvitations(ctx, []*model.Invitation{inv})
	}
	return inv, err
}

// MailEvents lists the classifier's decisions.
func (a *App) MailEvents(ctx context.Context, invitationID int64, limit int) ([]*model.MailEvent, error) {
	limit, _ = page(limit, 0)
	return a.store.MailEvents(ctx, invitationID, limit)
}

// ExpireInvitations marks pending invitations past their expiry.
func (a *App) ExpireInvitations(ctx context.Context) error {
	now := a.now().UTC().Truncate(time.Second)
	due, err := a.store.ExpiredPendingInvitations(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		for _, inv := range due {
			n := *inv
			n.State, n.DecidedAt, n.Detail = model.InvExpired, &now, "no reply before "+inv.ExpiresAt.In(zoneOf(ctx, tx.Q)).Format("2 January 2006")
			if err := tx.CancelPendingMail(ctx, "invitation", inv.ID); err != nil {
				return err
			}
			if err := tx.UpdateInvitation(ctx, &n, now); err != nil {
				return err
			}
			if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "system", Action: "invitation.expire",
				Entity: "invitation", EntityID: inv.ID, Before: inv, After: &n,
				Summary: fmt.Sprintf("Invitation to %s <%s> expired", inv.Name, inv.Email)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		a.afterInvitationChange()
	}
	return err
}

func (a *App) afterInvitationChange() {
	if a.outbox != nil {
		a.outbox.Wake()
	}
	a.emit(Event{Kind: "invitations:changed"})
}
