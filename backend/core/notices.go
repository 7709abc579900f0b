package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

const keyNotices = "notices.settings"

// NoticeSettings say where the owner's notices go and whether invoice
// notices go out; every other notice always does.
type NoticeSettings struct {
	// InvoiceNotices mails new invoices, payments received and overdue
	// reminders to the account's email and to the contacts whose grant
	// allows invoices.view on the invoice.
	InvoiceNotices bool `json:"invoice_notices"`
	// OwnerEmail receives requests, orders and replies; empty: the SMTP
	// sender address.
	OwnerEmail string `json:"owner_email"`
}

// NoticeSettings returns the notice settings (all off by default).
func (a *App) NoticeSettings(ctx context.Context) (NoticeSettings, error) {
	return jsonSetting[NoticeSettings](a, ctx, keyNotices, "notice settings")
}

// PutNoticeSettings checks and saves the notice settings.
func (a *App) PutNoticeSettings(ctx context.Context, st NoticeSettings) (NoticeSettings, error) {
	if st.OwnerEmail = strings.TrimSpace(st.OwnerEmail); st.OwnerEmail != "" {
		if _, err := NormaliseEmail(st.OwnerEmail); err != nil {
			return st, invalid("owner_email", "%s", err.(*Error).Message)
		}
	}
	return putJSONSetting(a, ctx, keyNotices, "notice settings", "settings.notices", st)
}

// mailTo is one recipient of a notice.
type mailTo struct {
	name, email string
	contactID   int64
	// messageID and replyTo, when set, let a reply to this copy be
	// recognised (a reminder's "please extend").
	messageID, replyTo string
}

func contactTo(c *model.Contact) mailTo {
	return mailTo{name: c.Name(), email: c.Email, contactID: c.ID}
}

// notice is one mail about an account, to some of its side or the owner.
type notice struct {
	accountID, serviceID int64
	kind, audience       string
	subject, body        string
	to                   []mailTo
}

// notify records n in the account's mail history and queues one mail per
// recipient in the outbox, in tx. Without a mail server the notice is kept,
// its copies marked unsent. Callers wake the outbox after the commit.
func (a *App) notify(ctx context.Context, tx *store.Tx, n notice) error {
	seen := map[string]bool{}
	var to []mailTo
	for _, r := range n.to {
		if k := store.EmailKey(r.email); k != "" && !seen[k] {
			seen[k] = true
			to = append(to, r)
		}
	}
	if len(to) == 0 {
		return nil
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	rec := &model.Notice{AccountID: n.accountID, ServiceID: n.serviceID, Kind: n.kind, Audience: n.audience,
		Subject: n.subject, Body: n.body, CreatedAt: now}
	if err := tx.InsertNotice(ctx, rec); err != nil {
		return err
	}
	from := st.SMTP.FromEmail
	fromName := orDefault(st.SMTP.FromName, "Grantbook")
	for _, r := range to {
		var outboxID int64
		if st.SMTP.Configured() && from != "" {
			msgID := r.messageID
			if msgID == "" {
				msgID = "grantbook-notice." + randomToken()[:20] + "@" + domainOf(from, "grantbook.invalid")
			}
			raw, err := outbox.Compose(outbox.Message{FromName: fromName, FromEmail: from, ToName: r.name, ToEmail: r.email,
				MessageID: msgID, ReplyTo: r.replyTo, Date: now, Subject: n.subject,
				Text: "Hello " + orDefault(r.name, "there") + ",\n\n" + n.body + "\n\n" + fromName + "\n(sent with Grantbook)\n"})
			if err != nil {
				return err
			}
			m := &model.OutboxMessage{MessageID: msgID, Kind: "notice", RefID: rec.ID, From: from, To: r.email, Raw: raw}
			if err := tx.EnqueueMail(ctx, m, now); err != nil {
				return err
			}
			outboxID = m.ID
		}
		if err := tx.AddNoticeRecipient(ctx, rec.ID, model.NoticeRecipient{Name: r.name, Email: r.email, ContactID: r.contactID}, outboxID); err != nil {
			return err
		}
	}
	return nil
}

// wake tells the outbox to look for mail after a commit.
func (a *App) wake() {
	if a.outbox != nil {
		a.outbox.Wake()
	}
}

// toOwner notifies the owner about an account.
func (a *App) toOwner(ctx context.Context, tx *store.Tx, accountID, serviceID int64, kind, subject, body string) error {
	ns, err := a.NoticeSettings(ctx)
	if err != nil {
		return err
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	addr := orDefault(ns.OwnerEmail, st.SMTP.FromEmail)
	return a.notify(ctx, tx, notice{accountID: accountID, serviceID: serviceID, kind: kind, audience: model.AudienceOwner,
		subject: subject, body: body, to: []mailTo{{name: orDefault(st.SMTP.FromName, "Owner"), email: addr}}})
}

// toClient notifies the account's side: the given contacts and, with
// account, the account's own email.
func (a *App) toClient(ctx context.Context, tx *store.Tx, accountID, serviceID int64, kind, subject, body string, account bool, to ...mailTo) error {
	if account {
		acc, err := tx.Account(ctx, accountID)
		if err != nil {
			return err
		}
		if acc.Email != "" {
			to = append([]mailTo{{name: acc.Name, email: acc.Email}}, to...)
		}
	}
	return a.notify(ctx, tx, notice{accountID: accountID, serviceID: serviceID, kind: kind, audience: model.AudienceClient,
		subject: subject, body: body, to: to})
}

// allowedTo lists the account's contacts whose grant allows perm on svc
// now, asking the evaluation for each candidate.
func (a *App) allowedTo(ctx context.Context, tx *store.Tx, accountID int64, perm permission.Permission, svc access.Service) ([]mailTo, error) {
	cs, err := tx.ContactsHolding(ctx, accountID, perm.String())
	if err != nil {
		return nil, err
	}
	var out []mailTo
	now := a.now().Unix()
	for _, c := range cs {
		g, err := a.grantFor(ctx, c)
		if err == nil && access.Evaluate(&g, perm, svc, now).Allowed {
			out = append(out, contactTo(c))
		}
	}
	return out, nil
}

// invoiceNotice sends an invoice notice when the owner has switched them on,
// plus to extra recipients in any case (the contact who paid).
func (a *App) invoiceNotice(ctx context.Context, tx *store.Tx, inv *model.Invoice, kind, subject, body string, extra ...mailTo) error {
	ns, err := a.NoticeSettings(ctx)
	if err != nil {
		return err
	}
	to := extra
	if ns.InvoiceNotices {
		holders, err := a.allowedTo(ctx, tx, inv.AccountID, permission.InvoicesView, serviceRef(inv.AccountID, inv.ServiceID))
		if err != nil {
			return err
		}
		to = append(to, holders...)
	}
	return a.toClient(ctx, tx, inv.AccountID, inv.ServiceID, kind, subject, body, ns.InvoiceNotices, to...)
}

// AccountEmails is the account's mail history for the owner: every notice,
// both audiences, with addresses and delivery states.
func (a *App) AccountEmails(ctx context.Context, accountID int64, limit, offset int) ([]*model.Notice, int, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, 0, err
	}
	limit, offset = page(limit, offset)
	return a.store.Notices(ctx, accountID, "", limit, offset)
}

// PortalEmails is the account's mail history for a contact with
// emails.view: what was mailed to the account's side, recipients by name.
func (a *App) PortalEmails(ctx context.Context, p *Principal, limit, offset int) ([]*model.Notice, int, error) {
	if err := a.listed(ctx, p, "emails", permission.EmailsView, -1, -1); err != nil {
		return nil, 0, err
	}
	limit, offset = page(limit, offset)
	out, total, err := a.store.Notices(ctx, p.Contact.AccountID, model.AudienceClient, limit, offset)
	for _, n := range out {
		for i := range n.Recipients {
			n.Recipients[i].Email = ""
		}
	}
	return out, total, err
}

func money(cents int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", cents/100, cents%100, currency)
}
