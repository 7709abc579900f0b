package core

import (
	"context"
	"fmt"
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
