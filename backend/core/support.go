package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// SupportThread is a support request with its replies.
type SupportThread struct {
	Request  *model.SupportRequest `json:"request"`
	Replies  []*model.SupportReply `json:"replies"`
	CanReply bool                  `json:"can_reply"`
	Reason   string                `json:"reply_reason"` // the evaluation's words on support.open
}

// ReplyInput is one message of a conversation.
type ReplyInput struct {
	Body string `json:"body"`
}

// StatusInput sets a support request's status (owner).
type StatusInput struct {
	Status string `json:"status"`
}

// seeSupport decides whether g may read a request about ref: support.view
// on its service, or support.view_all.
func seeSupport(g *access.Grant, ref access.Service, now int64) access.Decision {
	d := access.Evaluate(g, permission.SupportView, ref, now)
	if !d.Allowed {
		if all := access.Evaluate(g, permission.SupportViewAll, ref, now); all.Allowed {
			return all
		}
	}
	return d
}

func (a *App) portalRequest(ctx context.Context, p *Principal, id int64, action, what string) (*model.SupportRequest, access.Decision, error) {
	sr, err := ownRecord(a, ctx, p, action, "support request", id, a.store.SupportRequest, func(s *model.SupportRequest) int64 { return s.AccountID })
	if err != nil {
		return nil, access.Decision{}, err
	}
	d := seeSupport(&p.Grant, serviceRef(sr.AccountID, sr.ServiceID), a.now().Unix())
	if !d.Allowed {
		a.auditPortal(ctx, p.Contact, action, fmt.Sprintf("%s %q", what, sr.Subject), d.Reason())
		return nil, d, forbidden(d)
	}
	return sr, d, nil
}

// PortalSupportThread shows a request the contact may read, with its
// replies; people are named, addresses never shown.
func (a *App) PortalSupportThread(ctx context.Context, p *Principal, id int64) (*SupportThread, error) {
	sr, d, err := a.portalRequest(ctx, p, id, "portal.support", "read support request")
	if err != nil {
		return nil, err
	}
	a.auditPortal(ctx, p.Contact, "portal.support", fmt.Sprintf("read support request %q", sr.Subject), d.Reason())
	t, err := a.thread(ctx, sr)
	if err != nil {
		return nil, err
	}
	sr.OpenedBy = ""
	open := a.decide(p, permission.SupportOpen, serviceRef(sr.AccountID, sr.ServiceID))
	t.CanReply, t.Reason = open.Allowed, open.Reason()
	return t, nil
}

func (a *App) thread(ctx context.Context, sr *model.SupportRequest) (*SupportThread, error) {
	replies, err := a.store.SupportReplies(ctx, sr.ID)
	return &SupportThread{Request: sr, Replies: replies}, err
}

// ReplySupport adds the contact's reply (support.open on the request's
// service, and the right to read it); the request is open again and the
// owner is told.
func (a *App) ReplySupport(ctx context.Context, p *Principal, id int64, in ReplyInput) (*SupportThread, error) {
	return a.contactSupport(ctx, p, id, in.Body, true)
}

// CloseSupport closes a request the contact may read and write about.
func (a *App) CloseSupport(ctx context.Context, p *Principal, id int64) (*SupportThread, error) {
	return a.contactSupport(ctx, p, id, "", false)
}

func (a *App) contactSupport(ctx context.Context, p *Principal, id int64, body string, reply bool) (*SupportThread, error) {
	what := "reply to support request"
	if !reply {
		what = "close support request"
	}
	sr, _, err := a.portalRequest(ctx, p, id, "portal.support", what)
	if err != nil {
		return nil, err
	}
	what = fmt.Sprintf("%s %q", what, sr.Subject)
	d, err := a.allow(ctx, p, permission.SupportOpen, serviceRef(sr.AccountID, sr.ServiceID), "portal.support", what)
	if err != nil {
		return nil, err
	}
	if reply {
		if body, err = checkText("body", body, 20000); err != nil {
			return nil, err
		}
		if body == "" {
			return nil, invalid("body", "write a message")
		}
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		now := a.now().UTC().Truncate(time.Second)
		status := "closed"
		e.Action, e.Entity, e.EntityID, e.Summary = "portal.support", "support_request", id, actionSummary(p, what, d)
		if reply {
			status = "open"
			r := &model.SupportReply{RequestID: id, ContactID: p.Contact.ID, AuthorName: p.Contact.Name(), Body: body, CreatedAt: now}
			if err := tx.InsertSupportReply(ctx, r); err != nil {
				return err
			}
			e.After = r
			if err := a.toOwner(ctx, tx, sr.AccountID, sr.ServiceID, "support.reply", "Re: "+sr.Subject,
				fmt.Sprintf("%s replied to the support request %q:\n\n%s", p.Contact.Name(), sr.Subject, body)); err != nil {
				return err
			}
		}
		return tx.SetSupportStatus(ctx, id, status, now)
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalSupportThread(ctx, p, id)
}

// SupportThread loads a request with its replies (owner).
func (a *App) SupportThread(ctx context.Context, id int64) (*SupportThread, error) {
	sr, err := load(ctx, "support request", id, a.store.SupportRequest)
	if err != nil {
		return nil, err
	}
	return a.thread(ctx, sr)
}

// ownerName is how contacts see the owner in conversations.
func (a *App) ownerName(ctx context.Context) string {
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return "Support"
	}
	return orDefault(st.SMTP.FromName, "Support")
}

// OwnerReply answers a request: its status becomes answered, and the
// contacts in the conversation who may still read it are mailed.
func (a *App) OwnerReply(ctx context.Context, id int64, in ReplyInput) (*SupportThread, error) {
	body, err := checkText("body", in.Body, 20000)
	if err != nil {
		return nil, err
	}
	if body == "" {
		return nil, invalid("body", "write a message")
	}
	name := a.ownerName(ctx)
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		sr, err := load(ctx, "support request", id, tx.SupportRequest)
		if err != nil {
			return err
		}
		now := a.now().UTC().Truncate(time.Second)
		r := &model.SupportReply{RequestID: id, FromOwner: true, AuthorName: name, Body: body, CreatedAt: now}
		if err := tx.InsertSupportReply(ctx, r); err != nil {
			return err
		}
		if err := tx.SetSupportStatus(ctx, id, "answered", now); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "support.reply", "support_request", id, r
		e.Summary = fmt.Sprintf("Replied to support request %q", sr.Subject)
		to, err := a.participants(ctx, tx, sr)
		if err != nil {
			return err
		}
		return a.toClient(ctx, tx, sr.AccountID, sr.ServiceID, "support.reply", "Re: "+sr.Subject,
			fmt.Sprintf("%s replied to your support request %q:\n\n%s", name, sr.Subject, body), false, to...)
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.SupportThread(ctx, id)
}

// participants are the contacts who opened or replied to a request and may
// still read it now.
func (a *App) participants(ctx context.Context, tx *store.Tx, sr *model.SupportRequest) ([]mailTo, error) {
	replies, err := tx.SupportReplies(ctx, sr.ID)
	if err != nil {
		return nil, err
	}
	ids := []int64{sr.OpenedByContactID}
	for _, r := range replies {
		ids = append(ids, r.ContactID)
	}
	var out []mailTo
	seen := map[int64]bool{0: true}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := tx.Contact(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		g, err := a.grantFor(ctx, c)
		if err == nil && seeSupport(&g, serviceRef(sr.AccountID, sr.ServiceID), a.now().Unix()).Allowed {
			out = append(out, contactTo(c))
		}
	}
	return out, nil
}

// SetSupportStatus opens or closes a request (owner).
func (a *App) SetSupportStatus(ctx context.Context, id int64, in StatusInput) (*SupportThread, error) {
	if in.Status != "open" && in.Status != "closed" {
		return nil, invalid("status", "status can be set to open or closed")
	}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		sr, err := load(ctx, "support request", id, tx.SupportRequest)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "support.status", "support_request", id
		e.Summary = fmt.Sprintf("Support request %q: %s → %s", sr.Subject, sr.Status, in.Status)
		return tx.SetSupportStatus(ctx, id, in.Status, a.now().UTC().Truncate(time.Second))
	})
	if err != nil {
		return nil, err
	}
	return a.SupportThread(ctx, id)
}

// SupportPatch corrects a support request (owner); absent fields stay.
// The status has its own action (SetSupportStatus); the replies stay as
// they were written.
type SupportPatch struct {
	ServiceID *int64  `json:"service_id"`
	Subject   *string `json:"subject"`
	Body      *string `json:"body"`
}

// UpdateSupport corrects a support request (owner).
func (a *App) UpdateSupport(ctx context.Context, id int64, p SupportPatch) (*SupportThread, error) {
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "support request", id, tx.SupportRequest)
		if err != nil {
			return err
		}
		sr := *before
		setTrimmed(&sr.Subject, p.Subject)
		setTrimmed(&sr.Body, p.Body)
		if p.ServiceID != nil {
			sr.ServiceID = *p.ServiceID
		}
		if sr.Subject == "" || len(sr.Subject) > 200 {
			return invalid("subject", "a subject of at most 200 characters is required")
		}
		if err := a.checkService(ctx, sr.AccountID, sr.ServiceID); err != nil {
			return err
		}
		sr.UpdatedAt = a.now().UTC().Truncate(time.Second)
		if err := tx.UpdateSupportRequest(ctx, &sr); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "support.update", "support_request", id, before, &sr
		e.Summary = fmt.Sprintf("Corrected support request %q", sr.Subject)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.SupportThread(ctx, id)
}

// DeleteSupport removes a support request with its replies (owner).
func (a *App) DeleteSupport(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "support request", id, tx.SupportRequest)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "support.delete", "support_request", id, before
		e.Summary = fmt.Sprintf("Deleted support request %q", before.Subject)
		return tx.DeleteSupportRequest(ctx, id)
	})
}
