package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// InvoicePatch corrects an invoice (owner); absent fields stay. Paying
// and undoing go through their own actions.
type InvoicePatch struct {
	ServiceID   *int64           `json:"service_id"`
	Number      *string          `json:"number"`
	AmountCents *int64           `json:"amount_cents"`
	Currency    *string          `json:"currency"`
	DueAt       Nullable[Expiry] `json:"due_at"`
}

// UpdateInvoice corrects an invoice (owner).
func (a *App) UpdateInvoice(ctx context.Context, id int64, p InvoicePatch) (*model.Invoice, error) {
	var out *model.Invoice
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "invoice", id, tx.Invoice)
		if err != nil {
			return err
		}
		inv := *before
		if p.ServiceID != nil {
			inv.ServiceID = *p.ServiceID
		}
		if p.Number != nil {
			inv.Number = strings.TrimSpace(*p.Number)
		}
		if p.AmountCents != nil {
			inv.AmountCents = *p.AmountCents
		}
		if p.Currency != nil {
			inv.Currency = strings.TrimSpace(*p.Currency)
		}
		if p.DueAt.Set {
			inv.DueAt = nil
			if p.DueAt.Value != nil {
				inv.DueAt = &p.DueAt.Value.Time
			}
		}
		if err := checkMoney(inv.Number, inv.AmountCents, inv.Currency); err != nil {
			return err
		}
		if err := a.checkService(ctx, inv.AccountID, inv.ServiceID); err != nil {
			return err
		}
		if err := tx.UpdateInvoice(ctx, &inv); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "invoice.update", "invoice", id, before, &inv
		e.Summary = "Corrected invoice " + inv.Number
		out = &inv
		return nil
	})
	return out, err
}

// DeleteInvoice removes an invoice and its payment reports (owner).
func (a *App) DeleteInvoice(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := load(ctx, "invoice", id, tx.Invoice)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "invoice.delete", "invoice", id, before
		e.Summary = "Deleted invoice " + before.Number
		return tx.DeleteInvoice(ctx, id)
	})
}

// newInvoiceNotice tells the account about a new invoice (when invoice
// notices are on).
func (a *App) newInvoiceNotice(ctx context.Context, tx *store.Tx, inv *model.Invoice) error {
	due := ""
	if inv.DueAt != nil {
		due = ", due on " + inv.DueAt.Format("2 January 2006")
	}
	return a.invoiceNotice(ctx, tx, inv, "invoice.new", "New invoice "+inv.Number,
		fmt.Sprintf("Invoice %s of %s has been issued%s.", inv.Number, money(inv.AmountCents, inv.Currency), due))
}

// SendReminders mails one reminder for each unpaid invoice past its due
// date, when invoice notices are on. A reminder due while Grantbook was
// not running goes at the next run, once.
func (a *App) SendReminders(ctx context.Context) error {
	ns, err := a.NoticeSettings(ctx)
	if err != nil || !ns.InvoiceNotices {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	due, err := a.store.OverdueInvoices(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	err = a.change(WithActor(ctx, "system"), func(tx *store.Tx, e *model.AuditEntry) error {
		var numbers []string
		for _, inv := range due {
			ok, err := tx.MarkReminded(ctx, inv.ID, now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			numbers = append(numbers, inv.Number)
			if err := a.invoiceNotice(ctx, tx, inv, "invoice.overdue", "Reminder: invoice "+inv.Number+" is overdue",
				fmt.Sprintf("Invoice %s of %s was due on %s and is not paid yet.", inv.Number, money(inv.AmountCents, inv.Currency),
					inv.DueAt.Format("2 January 2006"))); err != nil {
				return err
			}
		}
		e.Action, e.Entity, e.Summary = "invoice.remind", "invoice", "Sent overdue reminders for "+strings.Join(numbers, ", ")
		return nil
	})
	if err == nil {
		a.wake()
	}
	return err
}
