package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// NoteInput carries a contact's optional words on a decision.
type NoteInput struct {
	Note string `json:"note"`
}

// AcceptQuote accepts an open quote on behalf of the account (quotes.accept).
func (a *App) AcceptQuote(ctx context.Context, p *Principal, id int64, in NoteInput) (*model.Quote, error) {
	return a.decideQuote(ctx, p, id, "accepted", in)
}

// DeclineQuote declines an open quote (quotes.accept).
func (a *App) DeclineQuote(ctx context.Context, p *Principal, id int64, in NoteInput) (*model.Quote, error) {
	return a.decideQuote(ctx, p, id, "declined", in)
}

func (a *App) decideQuote(ctx context.Context, p *Principal, id int64, status string, in NoteInput) (*model.Quote, error) {
	q, err := ownRecord(a, ctx, p, "portal.quote", "quote", id, a.store.Quote, func(q *model.Quote) int64 { return q.AccountID })
	if err != nil {
		return nil, err
	}
	verb := map[string]string{"accepted": "accept", "declined": "decline"}[status]
	what := verb + " quote " + q.Number
	d, err := a.allow(ctx, p, permission.QuotesAccept, access.Service{}, "portal.quote", what)
	if err != nil {
		return nil, err
	}
	note, err := checkText("note", in.Note, 2000)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	after := *q
	after.Status, after.DecidedAt, after.DecidedBy, after.DecisionNote = status, &now, p.Contact.Name(), note
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if ok, err := tx.DecideQuote(ctx, &after); err != nil {
			return err
		} else if !ok {
			return conflict("quote %s is no longer open", q.Number)
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After, e.Summary = "portal.quote", "quote", id, q, &after, actionSummary(p, what, d)
		return a.toOwner(ctx, tx, q.AccountID, 0, "quote."+status, fmt.Sprintf("Quote %s %s", q.Number, status),
			fmt.Sprintf("%s %s quote %s (%s, %s).\n%s", p.Contact.Name(), status, q.Number, q.Title, money(q.AmountCents, q.Currency), note))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return &after, nil
}

// QuotePatch corrects a quote (owner); absent fields stay. Status "open"
// takes back a decision; "accepted" or "declined" records one the owner
// heard of elsewhere (a call, a letter), decided by the owner.
type QuotePatch struct {
	Number      *string `json:"number"`
	Title       *string `json:"title"`
	AmountCents *int64  `json:"amount_cents"`
	Currency    *string `json:"currency"`
	Status      *string `json:"status"`
}

// UpdateQuote corrects a quote (owner).
func (a *App) UpdateQuote(ctx context.Context, id int64, p QuotePatch) (*model.Quote, error) {
	var out *model.Quote
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "quote", id, tx.Quote)
		if err != nil {
			return err
		}
		q := *before
		setTrimmed(&q.Number, p.Number)
		setTrimmed(&q.Title, p.Title)
		setTrimmed(&q.Currency, p.Currency)
		if p.AmountCents != nil {
			q.AmountCents = *p.AmountCents
		}
		if err := checkMoney(q.Number, q.AmountCents, q.Currency); err != nil {
			return err
		}
		if q.Title == "" || len(q.Title) > 200 {
			return invalid("title", "a title of at most 200 characters is required")
		}
		if p.Status != nil && *p.Status != q.Status {
			switch *p.Status {
			case "open":
				q.DecidedAt, q.DecidedBy, q.DecisionNote = nil, "", ""
			case "accepted", "declined":
				now := a.now().UTC().Truncate(time.Second)
				q.DecidedAt, q.DecidedBy, q.DecisionNote = &now, "Owner", ""
			default:
				return invalid("status", "status must be open, accepted or declined")
			}
			q.Status = *p.Status
		}
		if err := tx.UpdateQuote(ctx, &q); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "quote.update", "quote", id, before, &q
		e.Summary = "Corrected quote " + q.Number
		out = &q
		return nil
	})
	return out, err
}

// DeleteQuote removes a quote (owner).
func (a *App) DeleteQuote(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "quote", id, tx.Quote)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "quote.delete", "quote", id, before
		e.Summary = "Deleted quote " + before.Number
		return tx.DeleteQuote(ctx, id)
	})
}

// setTrimmed sets *dst to the trimmed *v when v is given.
func setTrimmed(dst, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}
