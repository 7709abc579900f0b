package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// InsertInvoice stores an invoice and sets its ID.
func (tx *Tx) InsertInvoice(ctx context.Context, inv *model.Invoice) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO invoices (account_id, service_id, number, amount_cents, currency, status,
		issued_at, due_at, paid_at, paid_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.AccountID, nullID(inv.ServiceID), inv.Number, inv.AmountCents, inv.Currency, inv.Status,
		inv.IssuedAt.Unix(), unixOrNil(inv.DueAt), unixOrNil(inv.PaidAt), inv.PaidBy)
	if err != nil {
		return fmt.Errorf("insert invoice: %w", err)
	}
	inv.ID, err = res.LastInsertId()
	return err
}

// MarkInvoicePaid records a payment; false when it was already paid.
func (tx *Tx) MarkInvoicePaid(ctx context.Context, id int64, by string, at time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE invoices SET status = 'paid', paid_at = ?, paid_by = ? WHERE id = ? AND status = 'unpaid'`,
		at.Unix(), by, id)
	if err != nil {
		return false, fmt.Errorf("pay invoice %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const invoiceCols = `id, account_id, coalesce(service_id, 0), number, amount_cents, currency, status, issued_at, due_at, paid_at, paid_by`

func scanInvoice(sc interface{ Scan(...any) error }) (*model.Invoice, error) {
	var inv model.Invoice
	var issued int64
	var due, paid sql.NullInt64
	if err := sc.Scan(&inv.ID, &inv.AccountID, &inv.ServiceID, &inv.Number, &inv.AmountCents, &inv.Currency,
		&inv.Status, &issued, &due, &paid, &inv.PaidBy); err != nil {
		return nil, err
	}
	inv.IssuedAt, inv.DueAt, inv.PaidAt = unix(issued), nullUnix(due), nullUnix(paid)
	return &inv, nil
}

// Invoice loads one invoice.
func (q Q) Invoice(ctx context.Context, id int64) (*model.Invoice, error) {
	inv, err := scanInvoice(q.q.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("invoice %d: %w", id, err)
	}
	return inv, nil
}

// Invoices lists an account's invoices, newest first.
func (q Q) Invoices(ctx context.Context, accountID int64) ([]*model.Invoice, error) {
	return collect(q, ctx, scanInvoice, `SELECT `+invoiceCols+` FROM invoices WHERE account_id = ? ORDER BY issued_at DESC, id DESC`, accountID)
}

// InsertQuote stores a quote and sets its ID.
func (tx *Tx) InsertQuote(ctx context.Context, qu *model.Quote) error {
	if qu.Status == "" {
		qu.Status = "open"
	}
	res, err := tx.q.ExecContext(ctx, `INSERT INTO quotes (account_id, number, title, amount_cents, currency, issued_at, status)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, qu.AccountID, qu.Number, qu.Title, qu.AmountCents, qu.Currency, qu.IssuedAt.Unix(), qu.Status)
	if err != nil {
		return fmt.Errorf("insert quote: %w", err)
	}
	qu.ID, err = res.LastInsertId()
	return err
}

func scanQuote(sc interface{ Scan(...any) error }) (*model.Quote, error) {
	var qu model.Quote
	var issued int64
	var decided sql.NullInt64
	if err := sc.Scan(&qu.ID, &qu.AccountID, &qu.Number, &qu.Title, &qu.AmountCents, &qu.Currency, &issued,
		&qu.Status, &decided, &qu.DecidedBy, &qu.DecisionNote); err != nil {
		return nil, err
	}
	qu.IssuedAt, qu.DecidedAt = unix(issued), nullUnix(decided)
	return &qu, nil
}

const quoteCols = `id, account_id, number, title, amount_cents, currency, issued_at, status, decided_at, decided_by, decision_note`

// Quotes lists an account's quotes, newest first.
func (q Q) Quotes(ctx context.Context, accountID int64) ([]*model.Quote, error) {
	return collect(q, ctx, scanQuote, `SELECT `+quoteCols+` FROM quotes WHERE account_id = ? ORDER BY issued_at DESC, id DESC`, accountID)
}

// InsertSupportRequest stores a support request and sets its ID.
func (tx *Tx) InsertSupportRequest(ctx context.Context, s *model.SupportRequest) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO support_requests (id, account_id, service_id, subject, body, status, opened_by,
		opened_by_contact_id, opened_by_name, created_at, updated_at) VALUES (`+newID("support_requests")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.AccountID, nullID(s.ServiceID), s.Subject, s.Body, s.Status, s.OpenedBy, nullID(s.OpenedByContactID), s.OpenedByName,
		s.CreatedAt.Unix(), s.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("insert support request: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

func scanSupport(sc interface{ Scan(...any) error }) (*model.SupportRequest, error) {
	var s model.SupportRequest
	var created, updated int64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.ServiceID, &s.Subject, &s.Body, &s.Status, &s.OpenedBy,
		&s.OpenedByContactID, &s.OpenedByName, &created, &updated); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = unix(created), unix(max(updated, created))
	return &s, nil
}

const supportCols = `id, account_id, coalesce(service_id, 0), subject, body, status, opened_by,
	coalesce(opened_by_contact_id, 0), opened_by_name, created_at, updated_at`

// SupportRequests lists an account's support requests, newest first.
func (q Q) SupportRequests(ctx context.Context, accountID int64) ([]*model.SupportRequest, error) {
	return collect(q, ctx, scanSupport, `SELECT `+supportCols+` FROM support_requests WHERE account_id = ? ORDER BY created_at DESC, id DESC`, accountID)
}

func collect[T any](q Q, ctx context.Context, scan func(interface{ Scan(...any) error }) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
