package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// UpdateInvoice writes every field of inv.
func (tx *Tx) UpdateInvoice(ctx context.Context, inv *model.Invoice) error {
	return tx.execOne(ctx, fmt.Sprintf("update invoice %d", inv.ID), `UPDATE invoices SET service_id = ?, number = ?,
		amount_cents = ?, currency = ?, status = ?, due_at = ?, paid_at = ?, paid_by = ? WHERE id = ?`,
		nullID(inv.ServiceID), inv.Number, inv.AmountCents, inv.Currency, inv.Status, unixOrNil(inv.DueAt), unixOrNil(inv.PaidAt),
		inv.PaidBy, inv.ID)
}

// DeleteInvoice removes an invoice and its payment reports.
func (tx *Tx) DeleteInvoice(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete invoice %d", id), `DELETE FROM invoices WHERE id = ?`, id)
}

// OverdueInvoices lists unpaid invoices past their due date that have had
// no reminder yet.
func (q Q) OverdueInvoices(ctx context.Context, now time.Time) ([]*model.Invoice, error) {
	return collect(q, ctx, scanInvoice, `SELECT `+invoiceCols+` FROM invoices
		WHERE status = 'unpaid' AND due_at IS NOT NULL AND due_at <= ? AND reminded_at IS NULL ORDER BY id`, now.Unix())
}

// MarkReminded records that an invoice's overdue reminder went out; false
// when another run did it first.
func (tx *Tx) MarkReminded(ctx context.Context, id int64, now time.Time) (bool, error) {
	return tx.execIf(ctx, fmt.Sprintf("remind invoice %d", id), `UPDATE invoices SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`,
		now.Unix(), id)
}

const reportCols = `id, invoice_id, coalesce(contact_id, 0), contact_name, method, paid_on, reference, state, note, created_at, decided_at`

func scanReport(sc scanner) (*model.PaymentReport, error) {
	var r model.PaymentReport
	var created int64
	var decided sql.NullInt64
	if err := sc.Scan(&r.ID, &r.InvoiceID, &r.ContactID, &r.ContactName, &r.Method, &r.PaidOn, &r.Reference, &r.State,
		&r.Note, &created, &decided); err != nil {
		return nil, err
	}
	r.CreatedAt, r.DecidedAt = unix(created), nullUnix(decided)
	return &r, nil
}

// InsertPaymentReport stores a report; ErrDuplicate when the invoice has
// one waiting already.
func (tx *Tx) InsertPaymentReport(ctx context.Context, r *model.PaymentReport) (err error) {
	r.ID, err = tx.insert(ctx, "payment report", `INSERT INTO payment_reports (id, invoice_id, contact_id, contact_name, method,
		paid_on, reference, state, created_at) VALUES (`+newID("payment_reports")+`, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.InvoiceID, nullID(r.ContactID), r.ContactName, r.Method, r.PaidOn, r.Reference, r.State, r.CreatedAt.Unix())
	return err
}

// PaymentReports lists an invoice's reports, newest first.
func (q Q) PaymentReports(ctx context.Context, invoiceID int64) ([]*model.PaymentReport, error) {
	return collect(q, ctx, scanReport, `SELECT `+reportCols+` FROM payment_reports WHERE invoice_id = ? ORDER BY id DESC`, invoiceID)
}

// OpenPaymentReport is the invoice's report waiting for the owner.
func (q Q) OpenPaymentReport(ctx context.Context, invoiceID int64) (*model.PaymentReport, error) {
	return one(q, ctx, scanReport, fmt.Sprintf("payment report of invoice %d", invoiceID),
		`SELECT `+reportCols+` FROM payment_reports WHERE invoice_id = ? AND state = 'reported'`, invoiceID)
}

// DecidePaymentReport closes a waiting report as confirmed or rejected.
func (tx *Tx) DecidePaymentReport(ctx context.Context, id int64, state, note string, now time.Time) error {
	return tx.execOne(ctx, fmt.Sprintf("decide payment report %d", id), `UPDATE payment_reports SET state = ?, note = ?, decided_at = ?
		WHERE id = ? AND state = 'reported'`, state, note, now.Unix(), id)
}

// Quote loads one quote.
func (q Q) Quote(ctx context.Context, id int64) (*model.Quote, error) {
	return one(q, ctx, scanQuote, fmt.Sprintf("quote %d", id), `SELECT `+quoteCols+` FROM quotes WHERE id = ?`, id)
}

// DecideQuote accepts or declines an open quote; false when it was not open.
func (tx *Tx) DecideQuote(ctx context.Context, qu *model.Quote) (bool, error) {
	return tx.execIf(ctx, fmt.Sprintf("decide quote %d", qu.ID), `UPDATE quotes SET status = ?, decided_at = ?, decided_by = ?,
		decision_note = ? WHERE id = ? AND status = 'open'`, qu.Status, unixOrNil(qu.DecidedAt), qu.DecidedBy, qu.DecisionNote, qu.ID)
}

// UpdateQuote writes every field of qu.
func (tx *Tx) UpdateQuote(ctx context.Context, qu *model.Quote) error {
	return tx.execOne(ctx, fmt.Sprintf("update quote %d", qu.ID), `UPDATE quotes SET number = ?, title = ?, amount_cents = ?,
		currency = ?, status = ?, decided_at = ?, decided_by = ?, decision_note = ? WHERE id = ?`,
		qu.Number, qu.Title, qu.AmountCents, qu.Currency, qu.Status, unixOrNil(qu.DecidedAt), qu.DecidedBy, qu.DecisionNote, qu.ID)
}

// DeleteQuote removes a quote.
func (tx *Tx) DeleteQuote(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete quote %d", id), `DELETE FROM quotes WHERE id = ?`, id)
}
