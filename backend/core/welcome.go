package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

// kindAccess is the outbox kind of the mail that tells a contact their
// access is active and where to sign in.
const kindAccess = "access"

// Why a contact is told about their access.
const (
	accessAccepted = "accepted" // they accepted an invitation (the welcome mail)
	accessAdded    = "added"    // the owner added them with "notify"
)

// queueAccessMail writes the mail that tells c their access is active, in
// the caller's transaction: it exists if and only if the change does, and
// the outbox sends it whenever it can, across restarts. key makes its
// Message-ID, so one acceptance can only ever queue one.
func (a *App) queueAccessMail(ctx context.Context, tx *store.Tx, c *model.Contact, why, key string, now time.Time) error {
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	if !st.SMTP.Configured() || st.SMTP.FromEmail == "" {
		a.log.Warn("no mail server is set up: the contact is not told that their access is active", "contact", c.ID)
		return nil
	}
	acc, err := tx.Account(ctx, c.AccountID)
	if err != nil {
		return err
	}
	area, err := a.ClientArea(ctx)
	if err != nil {
		return err
	}
	words, err := grantWords(ctx, tx, c, area.location())
	if err != nil {
		return err
	}
	fromName := orDefault(st.SMTP.FromName, acc.Name)
	subject := "Your access to " + acc.Name + " is ready"
	opening := fmt.Sprintf("Thank you for accepting the invitation: your access to %q is now active.", acc.Name)
	if why == accessAdded {
		subject = fromName + " gave you access to " + acc.Name
		opening = fmt.Sprintf("%s gave you access to the account %q.", fromName, acc.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s\n\n", c.FirstName, opening)
	if area.SignIn != "" {
		fmt.Fprintf(&b, "Sign in at %s with this email address (%s). Each time, a one-time code comes by email: there is no password.\n\n", area.SignIn, c.Email)
	} else {
		fmt.Fprintf(&b, "%s will tell you where to sign in. You will use this email address (%s) and a one-time code sent by email: there is no password.\n\n", fromName, c.Email)
	}
	b.WriteString(words)
	b.WriteString("\nQuestions? Reply to this email.\n(sent with Grantbook)\n")
	msgID := "grantbook-access." + key + "@" + domainOf(st.SMTP.FromEmail, "grantbook.invalid")
	raw, err := outbox.Compose(outbox.Message{FromName: fromName, FromEmail: st.SMTP.FromEmail, ToName: c.Name(), ToEmail: c.Email,
		MessageID: msgID, Subject: subject, Text: b.String(), Date: now})
	if err != nil {
		return err
	}
	return tx.EnqueueMail(ctx, &model.OutboxMessage{MessageID: msgID, Kind: kindAccess, RefID: c.ID,
		From: st.SMTP.FromEmail, To: c.Email, Raw: raw}, now)
}

// canNotify refuses "notify" when no mail can go out.
func (a *App) canNotify(ctx context.Context, notify bool) error {
	if !notify {
		return nil
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	if !st.SMTP.Configured() || st.SMTP.FromEmail == "" {
		return invalid("notify", "set up the mail server under Settings first, or add the contact without telling them by email")
	}
	return nil
}

// accessMailDone records, for the owner, that a contact was told about
// their access, or that the mail server refused to tell them.
func (a *App) accessMailDone(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, refused string, now time.Time) error {
	if m.Kind != kindAccess {
		return nil
	}
	e := &model.AuditEntry{At: now, Actor: "system", Action: "contact.access_mail", Entity: "contact", EntityID: m.RefID,
		Summary: "Told " + m.To + " by email that their access is active and where to sign in"}
	if refused != "" {
		e.Action, e.Summary = "contact.access_mail_refused", "The email telling "+m.To+" about their access was refused: "+refused
	}
	return tx.InsertAudit(ctx, e)
}
