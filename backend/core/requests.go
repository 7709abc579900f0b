package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// RequestTTL is how long a request waits for the owner.
const RequestTTL = 30 * 24 * time.Hour

// AccessRequestInput asks for what the client area refused.
type AccessRequestInput struct {
	Kind string `json:"kind"`
	Item string `json:"item"`
	Note string `json:"note"`
}

// RequestAccess records a contact's request for the owner. The same
// request while one is pending coalesces with it (its note replaced); a
// contact makes at most RequestsPerDay new ones a day. Nothing changes the
// grant until the owner decides.
func (a *App) RequestAccess(ctx context.Context, p *Principal, in AccessRequestInput) (*model.AccessRequest, error) {
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > 1000 {
		return nil, invalid("note", "the note is too long (1000 characters at most)")
	}
	chk, err := a.checkRequest(ctx, p.Contact, &p.Grant, in.Kind, strings.TrimSpace(in.Item))
	if err != nil {
		return nil, err
	}
	var out *model.AccessRequest
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		out, err = a.fileRequest(asContact(ctx, p), tx, p.Contact, chk, in.Note, "portal", "")
		return err
	})
	if err != nil {
		return nil, err
	}
	a.afterRequest()
	return out, nil
}

// fileRequest coalesces with a pending request or stores a new one, with
// its audit row and the owner's notice, in tx.
func (a *App) fileRequest(ctx context.Context, tx *store.Tx, c *model.Contact, chk *requested, note, source, denial string) (*model.AccessRequest, error) {
	now := a.now().UTC().Truncate(time.Second)
	open, err := tx.OpenAccessRequest(ctx, c.ID, chk.kind, chk.item)
	if err == nil {
		if note != "" && note != open.Note {
			if err := tx.SetRequestNote(ctx, open.ID, note); err != nil {
				return nil, err
			}
			open.Note = note
			if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "access_request.note",
				Entity: "access_request", EntityID: open.ID, After: open, Summary: c.Name() + " asked again: " + open.Label}); err != nil {
				return nil, err
			}
		}
		open.Coalesced = true
		return open, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	st, err := a.lifecycle(ctx, tx.Q)
	if err != nil {
		return nil, err
	}
	if n, err := tx.CountRequestsSince(ctx, c.ID, now.Add(-day)); err != nil {
		return nil, err
	} else if n >= st.RequestsPerDay {
		return nil, &Error{Code: CodeRateLimited, RetryAfter: int(day.Seconds()),
			Message: fmt.Sprintf("you made %d access requests today, the most a day: try again tomorrow", n)}
	}
	r := &model.AccessRequest{AccountID: c.AccountID, ContactID: c.ID, ContactName: c.Name(), Kind: chk.kind, Item: chk.item,
		Adds: chk.adds, Label: chk.label, Denial: denial, Note: note, Source: source, State: model.RequestPending,
		CreatedAt: now, ExpiresAt: now.Add(RequestTTL)}
	if r.Adds == nil {
		r.Adds = []string{}
	}
	if err := tx.InsertAccessRequest(ctx, r); err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s asks for: %s.", c.Name(), r.Label)
	if note != "" {
		body += "\n\nTheir note: " + note
	}
	body += "\n\nApprove or decline it in Grantbook (Needs your attention). The request expires in 30 days."
	if err := a.toOwner(ctx, tx, c.AccountID, 0, "access_request", c.Name()+" asks for more access", body); err != nil {
		return nil, err
	}
	return r, tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "access_request.create",
		Entity: "access_request", EntityID: r.ID, After: r, Summary: fmt.Sprintf("%s asked for %s (%s)", c.Name(), r.Label, source)})
}

func (a *App) afterRequest() {
	a.wake()
	a.emit(Event{Kind: "attention:changed"})
}

// PortalRequests lists the signed-in contact's own requests.
func (a *App) PortalRequests(ctx context.Context, p *Principal) ([]*model.AccessRequest, error) {
	out, _, err := a.store.AccessRequests(ctx, store.RequestFilter{ContactID: p.Contact.ID, Limit: 100})
	return out, err
}

// RequestFilter narrows the owner's request list.
type RequestFilter = store.RequestFilter

// AccessRequests lists requests for the owner (pending first by default).
func (a *App) AccessRequests(ctx context.Context, f RequestFilter) ([]*model.AccessRequest, int, error) {
	if f.State != "" && f.State != model.RequestPending && f.State != model.RequestApproved &&
		f.State != model.RequestDeclined && f.State != model.RequestExpired {
		return nil, 0, invalid("state", "state must be pending, approved, declined or expired")
	}
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	return a.store.AccessRequests(ctx, f)
}

// ApproveInput may choose the new end of an extension request.
type ApproveInput struct {
	Until *Expiry `json:"until"`
}

// ApproveRequest gives the contact exactly what was asked (and, for a
// permission, what it requires), through the path of every grant change,
// closes the request and mails the contact, in one transaction.
func (a *App) ApproveRequest(ctx context.Context, id int64, in ApproveInput) (*model.AccessRequest, error) {
	return a.decideRequest(ctx, id, model.RequestApproved, "", func(tx *store.Tx, r *model.AccessRequest) (*model.Contact, *model.Contact, error) {
		if r.Kind == model.RequestExtend {
			return a.extend(ctx, tx, r.ContactID, ExtendInput(in))
		}
		c, err := tx.Contact(ctx, r.ContactID)
		if err != nil {
			return nil, nil, err
		}
		patch, err := approvalPatch(c, r)
		if err != nil {
			return nil, nil, err
		}
		return a.patchContact(ctx, tx, r.ContactID, patch, nil)
	})
}

// DeclineInput gives an optional reason.
type DeclineInput struct {
	Reason string `json:"reason"`
}

// DeclineRequest refuses a request; the grant stays as it is.
func (a *App) DeclineRequest(ctx context.Context, id int64, in DeclineInput) (*model.AccessRequest, error) {
	reason := strings.TrimSpace(in.Reason)
	if len(reason) > 1000 {
		return nil, invalid("reason", "the reason is too long (1000 characters at most)")
	}
	return a.decideRequest(ctx, id, model.RequestDeclined, reason, nil)
}

// decideRequest closes a pending request (applying grant when approving)
// with its audit rows and the mail to the contact.
func (a *App) decideRequest(ctx context.Context, id int64, state, reason string,
	grant func(*store.Tx, *model.AccessRequest) (*model.Contact, *model.Contact, error)) (*model.AccessRequest, error) {
	now := a.now().UTC().Truncate(time.Second)
	var out *model.AccessRequest
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		r, err := tx.AccessRequest(ctx, id)
		if err != nil {
			return notFoundOr(err, "access request", id)
		}
		if r.State != model.RequestPending {
			return conflict("this request is %s already", r.State)
		}
		if grant != nil {
			before, c, err := grant(tx, r)
			if err != nil {
				return err
			}
			if err := tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "contact.update", Entity: "contact",
				EntityID: c.ID, Before: before, After: c, Summary: "Updated " + c.Name() + " (approved request: " + r.Label + "): " +
					describeChanges(before, c)}); err != nil {
				return err
			}
		}
		if err := once(tx.DecideAccessRequest(ctx, id, state, reason, actor(ctx), now)); err != nil {
			return err
		}
		r.State, r.Reason, r.DecidedAt, r.DecidedBy = state, reason, &now, actor(ctx)
		if err := a.mailDecision(ctx, tx, r); err != nil {
			return err
		}
		out = r
		verb := map[string]string{model.RequestApproved: "Approved", model.RequestDeclined: "Declined"}[state]
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: actor(ctx), Action: "access_request." + state[:len(state)-1],
			Entity: "access_request", EntityID: id, After: r, Summary: fmt.Sprintf("%s %s's request: %s", verb, r.ContactName, r.Label)})
	})
	if err != nil {
		return nil, err
	}
	a.afterRequest()
	return out, nil
}

// mailDecision tells the contact what the owner decided.
func (a *App) mailDecision(ctx context.Context, tx *store.Tx, r *model.AccessRequest) error {
	c, err := tx.Contact(ctx, r.ContactID)
	if err != nil {
		return err
	}
	subject, body := "Your access request was approved", "your request was approved: "+r.Label+"."
	if r.State == model.RequestDeclined {
		subject, body = "Your access request was declined", "your request was declined: "+r.Label+"."
		if r.Reason != "" {
			body += "\n\nThe reason given: " + r.Reason
		}
	}
	return a.toClient(ctx, tx, r.AccountID, 0, "access_request", subject, body, false, contactTo(c))
}

// ExpireAccessRequests closes the requests nobody decided within 30 days.
func (a *App) ExpireAccessRequests(ctx context.Context) error {
	now := a.now().UTC().Truncate(time.Second)
	due, err := a.store.ExpiredAccessRequests(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		for _, r := range due {
			ok, err := tx.DecideAccessRequest(ctx, r.ID, model.RequestExpired, "", "system", now)
			if err != nil || !ok {
				return err
			}
			err = tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "system", Action: "access_request.expire", Entity: "access_request",
				EntityID: r.ID, Summary: fmt.Sprintf("%s's request expired undecided: %s", r.ContactName, r.Label)})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		a.emit(Event{Kind: "attention:changed"})
	}
	return err
}

// compiled is c's grant for a request check.
func (a *App) compiled(ctx context.Context, c *model.Contact) (*access.Grant, error) {
	g, err := a.grantFor(ctx, c)
	return &g, err
}
