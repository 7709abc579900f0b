package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// HowToPay is what a contact with invoices.pay is shown for an invoice.
type HowToPay struct {
	BankTransfer *BankTransfer `json:"bank_transfer"` // nil: not offered
	PaymentLink  string        `json:"payment_link"`  // "": not offered
	Methods      []string      `json:"methods"`       // what a report may name
}

// BankTransfer is where to transfer to, and the reference to give.
type BankTransfer struct {
	Details   string `json:"details"`
	Reference string `json:"reference"`
}

// PortalInvoice is one invoice as a contact sees it.
type PortalInvoice struct {
	Invoice *model.Invoice         `json:"invoice"`
	CanPay  bool                   `json:"can_pay"`
	Reason  string                 `json:"pay_reason"` // the evaluation's words on invoices.pay
	Pay     *HowToPay              `json:"how_to_pay"` // nil without invoices.pay, or when paid
	Reports []*model.PaymentReport `json:"payment_reports"`
}

// PortalInvoiceDetail shows an invoice the contact may view, and how to pay
// it when they may pay it.
func (a *App) PortalInvoiceDetail(ctx context.Context, p *Principal, id int64) (*PortalInvoice, error) {
	inv, err := ownRecord(a, ctx, p, "portal.view", "invoice", id, a.store.Invoice, func(i *model.Invoice) int64 { return i.AccountID })
	if err != nil {
		return nil, err
	}
	d, err := a.allow(ctx, p, permission.InvoicesView, serviceRef(inv.AccountID, inv.ServiceID), "portal.view", "view invoice "+inv.Number)
	if err != nil {
		return nil, err
	}
	a.auditPortal(ctx, p.Contact, "portal.view", "view invoice "+inv.Number, d.Reason())
	pay := a.decide(p, permission.InvoicesPay, serviceRef(inv.AccountID, inv.ServiceID))
	out := &PortalInvoice{Invoice: inv, CanPay: pay.Allowed, Reason: pay.Reason()}
	if out.Reports, err = a.store.PaymentReports(ctx, id); err != nil {
		return nil, err
	}
	if pay.Allowed && inv.Status != "paid" {
		if out.Pay, err = a.howToPay(ctx, inv); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (a *App) howToPay(ctx context.Context, inv *model.Invoice) (*HowToPay, error) {
	pm, err := a.PaymentMethods(ctx)
	if err != nil {
		return nil, err
	}
	h := &HowToPay{Methods: []string{}}
	if pm.BankTransfer.Enabled {
		h.BankTransfer = &BankTransfer{Details: pm.BankTransfer.Details, Reference: inv.Number}
		h.Methods = append(h.Methods, model.MethodBankTransfer)
	}
	if pm.PaymentLink.Enabled {
		link, err := PaymentLink(pm.PaymentLink.URLTemplate, inv)
		if err != nil {
			a.log.Warn("payment link left out", "invoice", inv.ID, "err", err)
		} else {
			h.PaymentLink = link
			h.Methods = append(h.Methods, model.MethodPaymentLink)
		}
	}
	return h, nil
}

// PaymentReportInput is a contact saying they paid. Confirm must be true:
// the client area shows what will be reported first.
type PaymentReportInput struct {
	Method    string `json:"method"`
	PaidOn    string `json:"paid_on"`
	Reference string `json:"reference"`
	Confirm   bool   `json:"confirm"`
}

// ReportPayment records that the contact paid an invoice: it becomes
// "payment reported" until the owner confirms or rejects it.
func (a *App) ReportPayment(ctx context.Context, p *Principal, id int64, in PaymentReportInput) (*PortalInvoice, error) {
	inv, err := ownRecord(a, ctx, p, "portal.pay", "invoice", id, a.store.Invoice, func(i *model.Invoice) int64 { return i.AccountID })
	if err != nil {
		return nil, err
	}
	what := "report a payment of invoice " + inv.Number
	d, err := a.allow(ctx, p, permission.InvoicesPay, serviceRef(inv.AccountID, inv.ServiceID), "portal.pay", what)
	if err != nil {
		return nil, err
	}
	how, err := a.howToPay(ctx, inv)
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	r := &model.PaymentReport{InvoiceID: id, ContactID: p.Contact.ID, ContactName: p.Contact.Name(), Method: in.Method,
		State: model.ReportReported, CreatedAt: now}
	if r.PaidOn, err = CheckPaidOn(in.PaidOn, now); err != nil {
		return nil, err
	}
	if r.Reference, err = checkLine("reference", in.Reference, 100); err != nil {
		return nil, err
	}
	switch {
	case !oneOf(in.Method, how.Methods) && len(how.Methods) == 0:
		return nil, invalid("method", "the owner has not set up a way to pay yet")
	case !oneOf(in.Method, how.Methods):
		return nil, invalid("method", "method must be one of %s", strings.Join(how.Methods, ", "))
	case !in.Confirm:
		return nil, invalid("confirm", "confirm that you paid %s on %s (%s): the owner will check it", money(inv.AmountCents, inv.Currency), r.PaidOn, methodWords(in.Method))
	}
	err = a.change(asContact(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		cur, err := tx.Invoice(ctx, id)
		if err != nil {
			return err
		}
		switch cur.Status {
		case "paid":
			return conflict("invoice %s is already paid", inv.Number)
		case "reported":
			return conflict("a payment of invoice %s is already waiting for the owner's confirmation", inv.Number)
		}
		if err := tx.InsertPaymentReport(ctx, r); errors.Is(err, store.ErrDuplicate) {
			return conflict("a payment of invoice %s is already waiting for the owner's confirmation", inv.Number)
		} else if err != nil {
			return err
		}
		after := *cur
		after.Status = "reported"
		if err := tx.UpdateInvoice(ctx, &after); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "portal.pay", "invoice", id, cur, map[string]any{"invoice": &after, "report": r}
		e.Summary = actionSummary(p, what, d)
		return a.toOwner(ctx, tx, inv.AccountID, inv.ServiceID, "payment.reported", "Payment reported for invoice "+inv.Number,
			fmt.Sprintf("%s reports paying invoice %s (%s) on %s by %s, reference %q.\nConfirm or reject it in Grantbook.",
				p.Contact.Name(), inv.Number, money(inv.AmountCents, inv.Currency), r.PaidOn, methodWords(r.Method), r.Reference))
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalInvoiceDetail(ctx, p, id)
}

func methodWords(m string) string {
	if m == model.MethodPaymentLink {
		return "the payment link"
	}
	return "bank transfer"
}

// checkLine trims one line of outside text and bounds it.
func checkLine(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > max {
		return "", invalid(field, "%s is too long (%d characters at most)", strings.ReplaceAll(field, "_", " "), max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", invalid(field, "%s contains control characters", strings.ReplaceAll(field, "_", " "))
	}
	return s, nil
}

// checkText is checkLine for several lines.
func checkText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if len(s) > max {
		return "", invalid(field, "%s is too long (%d characters at most)", strings.ReplaceAll(field, "_", " "), max)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return (r < ' ' && r != '\n' && r != '\t') || r == 0x7f }) {
		return "", invalid(field, "%s contains control characters", strings.ReplaceAll(field, "_", " "))
	}
	return s, nil
}

// InvoiceDetail is an invoice with its payment reports (owner).
type InvoiceDetail struct {
	Invoice *model.Invoice         `json:"invoice"`
	Reports []*model.PaymentReport `json:"payment_reports"`
}

// InvoiceWithReports loads an invoice for the owner.
func (a *App) InvoiceWithReports(ctx context.Context, id int64) (*InvoiceDetail, error) {
	inv, err := load(ctx, "invoice", id, a.store.Invoice)
	if err != nil {
		return nil, err
	}
	reports, err := a.store.PaymentReports(ctx, id)
	return &InvoiceDetail{inv, reports}, err
}

// ReasonInput carries the owner's words on a refusal.
type ReasonInput struct {
	Reason string `json:"reason"`
}

// ConfirmPayment accepts the contact's report: the invoice is paid and a
// receipt goes to the contact (and, with invoice notices, the account).
func (a *App) ConfirmPayment(ctx context.Context, id int64) (*InvoiceDetail, error) {
	return a.settle(ctx, id, true, "")
}

// RejectPayment refuses the contact's report: the invoice is unpaid again
// and the contact is told why.
func (a *App) RejectPayment(ctx context.Context, id int64, in ReasonInput) (*InvoiceDetail, error) {
	reason, err := checkText("reason", in.Reason, 1000)
	if err != nil {
		return nil, err
	}
	return a.settle(ctx, id, false, reason)
}

// MarkPaid records a payment the owner received: a waiting report is
// confirmed with it.
func (a *App) MarkPaid(ctx context.Context, id int64) (*InvoiceDetail, error) {
	return a.settle(ctx, id, true, "")
}

func (a *App) settle(ctx context.Context, id int64, paid bool, reason string) (*InvoiceDetail, error) {
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		inv, err := load(ctx, "invoice", id, tx.Invoice)
		if err != nil {
			return err
		}
		r, err := tx.OpenPaymentReport(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			r, err = nil, nil
		}
		if err != nil {
			return err
		}
		now := a.now().UTC().Truncate(time.Second)
		after := *inv
		var reporter []mailTo
		if r != nil {
			if c, err := tx.Contact(ctx, r.ContactID); err == nil {
				reporter = append(reporter, contactTo(c))
			}
		}
		switch {
		case inv.Status == "paid":
			return conflict("invoice %s is already paid", inv.Number)
		case !paid && r == nil:
			return conflict("invoice %s has no reported payment to reject", inv.Number)
		case !paid:
			after.Status = "unpaid"
			if err := tx.DecidePaymentReport(ctx, r.ID, model.ReportRejected, reason, now); err != nil {
				return err
			}
			e.Action, e.Summary = "invoice.reject_payment", fmt.Sprintf("Rejected the payment %s reported for invoice %s", r.ContactName, inv.Number)
			if err := a.toClient(ctx, tx, inv.AccountID, inv.ServiceID, "payment.rejected", "Payment of invoice "+inv.Number+" not confirmed",
				fmt.Sprintf("The payment you reported for invoice %s (%s) on %s could not be confirmed.\n%s",
					inv.Number, money(inv.AmountCents, inv.Currency), r.PaidOn, reason), false, reporter...); err != nil {
				return err
			}
		default:
			after.Status, after.PaidAt, after.PaidBy = "paid", &now, "owner"
			e.Action, e.Summary = "invoice.paid", "Marked invoice "+inv.Number+" paid"
			if r != nil {
				after.PaidBy = r.ContactName
				if len(reporter) > 0 {
					after.PaidBy = reporter[0].email
				}
				if err := tx.DecidePaymentReport(ctx, r.ID, model.ReportConfirmed, "", now); err != nil {
					return err
				}
				e.Action, e.Summary = "invoice.confirm_payment", fmt.Sprintf("Confirmed the payment %s reported for invoice %s", r.ContactName, inv.Number)
			}
			if err := a.invoiceNotice(ctx, tx, &after, "invoice.paid", "Payment received for invoice "+inv.Number,
				fmt.Sprintf("Thank you: the payment of invoice %s (%s) has been received.", inv.Number, money(inv.AmountCents, inv.Currency)),
				reporter...); err != nil {
				return err
			}
		}
		if err := tx.UpdateInvoice(ctx, &after); err != nil {
			return err
		}
		e.Entity, e.EntityID, e.Before, e.After = "invoice", id, inv, &after
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.InvoiceWithReports(ctx, id)
}

// MarkUnpaid undoes a payment recorded by mistake.
func (a *App) MarkUnpaid(ctx context.Context, id int64) (*InvoiceDetail, error) {
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		inv, err := load(ctx, "invoice", id, tx.Invoice)
		if err != nil {
			return err
		}
		if inv.Status != "paid" {
			return conflict("invoice %s is not paid", inv.Number)
		}
		after := *inv
		after.Status, after.PaidAt, after.PaidBy = "unpaid", nil, ""
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "invoice.unpaid", "invoice", id, inv, &after
		e.Summary = "Marked invoice " + inv.Number + " unpaid again"
		return tx.UpdateInvoice(ctx, &after)
	})
	if err != nil {
		return nil, err
	}
	return a.InvoiceWithReports(ctx, id)
}
