package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// AccountPatch edits an account's profile; absent fields stay.
type AccountPatch struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	Phone   *string `json:"phone"`
	Address *string `json:"address"`
	// HolderContactID names the account holder (0: nobody), whom no
	// contact may manage. Owner only.
	HolderContactID *int64 `json:"holder_contact_id"`
}

// UpdateAccount edits an account's profile (owner).
func (a *App) UpdateAccount(ctx context.Context, id int64, p AccountPatch) (*model.Account, error) {
	return a.updateProfile(ctx, id, p)
}

func (a *App) updateProfile(ctx context.Context, id int64, p AccountPatch) (*model.Account, error) {
	var out *model.Account
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := tx.Account(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("account", id)
		}
		if err != nil {
			return err
		}
		acc := *before
		for _, f := range []struct {
			src *string
			dst *string
		}{{p.Name, &acc.Name}, {p.Email, &acc.Email}, {p.Phone, &acc.Phone}, {p.Address, &acc.Address}} {
			if f.src != nil {
				*f.dst = strings.TrimSpace(*f.src)
			}
		}
		switch {
		case acc.Name == "":
			return invalid("name", "account name is required")
		case len(acc.Name) > 200 || len(acc.Phone) > 32 || len(acc.Email) > 254:
			return invalid("name", "a field is too long")
		case len(acc.Address) > 1000:
			return invalid("address", "the address is too long")
		}
		if acc.Email != "" {
			if _, err := NormaliseEmail(acc.Email); err != nil {
				return err
			}
		}
		if p.HolderContactID != nil {
			acc.HolderContactID = *p.HolderContactID
			if c, err := tx.Contact(ctx, acc.HolderContactID); acc.HolderContactID != 0 && (err != nil || c.AccountID != id) {
				return invalid("holder_contact_id", "contact %d is not a contact of this account", acc.HolderContactID)
			}
		}
		if err := tx.UpdateAccount(ctx, &acc); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "account.update", "account", id, before, &acc
		e.Summary = "Updated the profile of " + acc.Name
		out = &acc
		return nil
	})
	return out, err
}

// InvoiceInput creates an invoice (owner).
type InvoiceInput struct {
	ServiceID   int64   `json:"service_id"`
	Number      string  `json:"number"`
	AmountCents int64   `json:"amount_cents"`
	Currency    string  `json:"currency"`
	DueAt       *Expiry `json:"due_at"`
}

// checkService verifies an optional service id belongs to the account.
func (a *App) checkService(ctx context.Context, accountID, serviceID int64) error {
	if serviceID == 0 {
		return nil
	}
	s, err := a.store.Service(ctx, serviceID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.AccountID != accountID) {
		return invalid("service_id", "service %d is not a service of this account", serviceID)
	}
	return err
}

func checkMoney(number string, cents int64, currency string) error {
	switch {
	case strings.TrimSpace(number) == "":
		return invalid("number", "a number is required")
	case len(number) > 50:
		return invalid("number", "the number is too long")
	case cents < 0 || cents > 1e13:
		return invalid("amount_cents", "the amount must be between 0 and 100 000 000 000")
	case len(currency) != 3 || strings.ToUpper(currency) != currency:
		return invalid("currency", "currency must be a three-letter code like EUR")
	}
	return nil
}

// CreateInvoice adds an invoice to an account (owner).
func (a *App) CreateInvoice(ctx context.Context, accountID int64, in InvoiceInput) (*model.Invoice, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	in.Currency = orDefault(in.Currency, "EUR")
	if err := checkMoney(in.Number, in.AmountCents, in.Currency); err != nil {
		return nil, err
	}
	if err := a.checkService(ctx, accountID, in.ServiceID); err != nil {
		return nil, err
	}
	inv := &model.Invoice{AccountID: accountID, ServiceID: in.ServiceID, Number: strings.TrimSpace(in.Number),
		AmountCents: in.AmountCents, Currency: in.Currency, Status: "unpaid", IssuedAt: a.now().UTC().Truncate(time.Second)}
	if in.DueAt != nil {
		inv.DueAt = &in.DueAt.Time
	}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertInvoice(ctx, inv); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After, e.Summary = "invoice.create", "invoice", inv.ID, inv, "Issued invoice "+inv.Number
		return a.newInvoiceNotice(ctx, tx, inv)
	})
	a.wake()
	return inv, err
}

// Invoices lists an account's invoices (owner).
func (a *App) Invoices(ctx context.Context, accountID int64) ([]*model.Invoice, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Invoices(ctx, accountID)
}

// QuoteInput creates a quote (owner).
type QuoteInput struct {
	Number      string `json:"number"`
	Title       string `json:"title"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
}

// CreateQuote adds a quote to an account (owner).
func (a *App) CreateQuote(ctx context.Context, accountID int64, in QuoteInput) (*model.Quote, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	in.Currency = orDefault(in.Currency, "EUR")
	if err := checkMoney(in.Number, in.AmountCents, in.Currency); err != nil {
		return nil, err
	}
	if in.Title = strings.TrimSpace(in.Title); in.Title == "" || len(in.Title) > 200 {
		return nil, invalid("title", "a title of at most 200 characters is required")
	}
	q := &model.Quote{AccountID: accountID, Number: strings.TrimSpace(in.Number), Title: in.Title, AmountCents: in.AmountCents,
		Currency: in.Currency, IssuedAt: a.now().UTC().Truncate(time.Second)}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertQuote(ctx, q); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After, e.Summary = "quote.create", "quote", q.ID, q, "Issued quote "+q.Number
		return nil
	})
	return q, err
}

// Quotes lists an account's quotes (owner).
func (a *App) Quotes(ctx context.Context, accountID int64) ([]*model.Quote, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.Quotes(ctx, accountID)
}

// CreateSupport records a support request for an account (owner).
func (a *App) CreateSupport(ctx context.Context, accountID int64, in SupportInput) (*model.SupportRequest, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	if in.Subject = strings.TrimSpace(in.Subject); in.Subject == "" || len(in.Subject) > 200 {
		return nil, invalid("subject", "a subject of at most 200 characters is required")
	}
	if err := a.checkService(ctx, accountID, in.ServiceID); err != nil {
		return nil, err
	}
	sr := &model.SupportRequest{AccountID: accountID, ServiceID: in.ServiceID, Subject: in.Subject, Body: strings.TrimSpace(in.Body),
		Status: "open", OpenedBy: actor(ctx), OpenedByName: a.ownerName(ctx), CreatedAt: a.now().UTC().Truncate(time.Second)}
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertSupportRequest(ctx, sr); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "support.create", "support_request", sr.ID, sr
		e.Summary = fmt.Sprintf("Opened support request %q", sr.Subject)
		return nil
	})
	return sr, err
}

// SupportRequests lists an account's support requests (owner).
func (a *App) SupportRequests(ctx context.Context, accountID int64) ([]*model.SupportRequest, error) {
	if _, err := a.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return a.store.SupportRequests(ctx, accountID)
}
