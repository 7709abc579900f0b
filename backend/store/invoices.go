package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// UpdateInvoice writes every field of inv.
func (tx *Tx) UpdateInvoice(ctx context.Context, inv *model.Invoice) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE invoices SET service_id = ?, number = ?, amount_cents = ?, currency = ?, status = ?,
		due_at = ?, paid_at = ?, paid_by = ? WHERE id = ?`,
		nullID(inv.ServiceID), inv.Number, inv.AmountCents, inv.Currency, inv.Status, unixOrNil(inv.DueAt), unixOrNil(inv.PaidAt),
		inv.PaidBy, inv.ID)
	if err != nil {
		return fmt.Errorf("update invoice %d: %w", inv.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteInvoice removes an invoice and its payment reports.
func (tx *Tx) DeleteInvoice(ctx context.Context, id int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM invoices WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete invoice %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
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
	res, err := tx.q.ExecContext(ctx, `UPDATE invoices SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`, now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("remind invoice %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const reportCols = `id, invoice_id, coalesce(contact_id, 0), contact_name, method, paid_on, reference, state, note, created_at, decided_at`

func scanReport(sc interface{ Scan(...any) error }) (*model.PaymentReport, error) {
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
func (tx *Tx) InsertPaymentReport(ctx context.Context, r *model.PaymentReport) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO payment_reports (invoice_id, contact_id, contact_name, method, paid_on, reference,
		state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.InvoiceID, nullID(r.ContactID), r.ContactName, r.Method, r.PaidOn, r.Reference, r.State, r.CreatedAt.Unix())
	if isUnique(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert payment report: %w", err)
	}
	r.ID, err = res.LastInsertId()
	return err
}

// PaymentReports lists an invoice's reports, newest first.
func (q Q) PaymentReports(ctx context.Context, invoiceID int64) ([]*model.PaymentReport, error) {
	return collect(q, ctx, scanReport, `SELECT `+reportCols+` FROM payment_reports WHERE invoice_id = ? ORDER BY id DESC`, invoiceID)
}

// OpenPaymentReport is the invoice's report waiting for the owner.
func (q Q) OpenPaymentReport(ctx context.Context, invoiceID int64) (*model.PaymentReport, error) {
	r, err := scanReport(q.q.QueryRowContext(ctx, `SELECT `+reportCols+` FROM payment_reports
		WHERE invoice_id = ? AND state = 'reported'`, invoiceID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("payment report of invoice %d: %w", invoiceID, err)
	}
	return r, nil
}

// DecidePaymentReport closes a waiting report as confirmed or rejected.
func (tx *Tx) DecidePaymentReport(ctx context.Context, id int64, state, note string, now time.Time) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE payment_reports SET state = ?, note = ?, decided_at = ? WHERE id = ? AND state = 'reported'`,
		state, note, now.Unix(), id)
	if err != nil {
		return fmt.Errorf("decide payment report %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Quote loads one quote.
func (q Q) Quote(ctx context.Context, id int64) (*model.Quote, error) {
	qu, err := scanQuote(q.q.QueryRowContext(ctx, `SELECT `+quoteCols+` FROM quotes WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("quote %d: %w", id, err)
	}
	return qu, nil
}

// DecideQuote accepts or declines an open quote; false when it was not open.
func (tx *Tx) DecideQuote(ctx context.Context, qu *model.Quote) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE quotes SET status = ?, decided_at = ?, decided_by = ?, decision_note = ?
		WHERE id = ? AND status = 'open'`, qu.Status, unixOrNil(qu.DecidedAt), qu.DecidedBy, qu.DecisionNote, qu.ID)
	if err != nil {
		return false, fmt.Errorf("decide quote %d: %w", qu.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
