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
	res, err := tx.q.ExecContext(ctx, `INSERT INTO quotes (account_id, number, title, amount_cents, currency, issued_at)
		VALUES (?, ?, ?, ?, ?, ?)`, qu.AccountID, qu.Number, qu.Title, qu.AmountCents, qu.Currency, qu.IssuedAt.Unix())
	if err != nil {
		return fmt.Errorf("insert quote: %w", err)
	}
	qu.ID, err = res.LastInsertId()
	return err
}

func scanQuote(sc interface{ Scan(...any) error }) (*model.Quote, error) {
	var qu model.Quote
	var issued int64
	if err := sc.Scan(&qu.ID, &qu.AccountID, &qu.Number, &qu.Title, &qu.AmountCents, &qu.Currency, &issued); err != nil {
		return nil, err
	}
	qu.IssuedAt = unix(issued)
	return &qu, nil
}

// Quotes lists an account's quotes, newest first.
func (q Q) Quotes(ctx context.Context, accountID int64) ([]*model.Quote, error) {
	return collect(q, ctx, scanQuote, `SELECT id, account_id, number, title, amount_cents, currency, issued_at
		FROM quotes WHERE account_id = ? ORDER BY issued_at DESC, id DESC`, accountID)
}

// InsertSupportRequest stores a support request and sets its ID.
func (tx *Tx) InsertSupportRequest(ctx context.Context, s *model.SupportRequest) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO support_requests (account_id, service_id, subject, body, status, opened_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.AccountID, nullID(s.ServiceID), s.Subject, s.Body, s.Status, s.OpenedBy, s.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("insert support request: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

func scanSupport(sc interface{ Scan(...any) error }) (*model.SupportRequest, error) {
	var s model.SupportRequest
	var created int64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.ServiceID, &s.Subject, &s.Body, &s.Status, &s.OpenedBy, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = unix(created)
	return &s, nil
}

// SupportRequests lists an account's support requests, newest first.
func (q Q) SupportRequests(ctx context.Context, accountID int64) ([]*model.SupportRequest, error) {
	return collect(q, ctx, scanSupport, `SELECT id, account_id, coalesce(service_id, 0), subject, body, status, opened_by, created_at
		FROM support_requests WHERE account_id = ? ORDER BY created_at DESC, id DESC`, accountID)
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

// SigninCode is a stored one-time code.
type SigninCode struct {
	ID        int64
	ContactID int64
	Hash      []byte
	ExpiresAt time.Time
	Attempts  int
}

// InsertSigninCode stores a code hash; earlier unused codes of the contact
// stop working.
func (tx *Tx) InsertSigninCode(ctx context.Context, contactID int64, hash []byte, now, expires time.Time) error {
	if _, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET used_at = ? WHERE contact_id = ? AND used_at IS NULL`, now.Unix(), contactID); err != nil {
		return fmt.Errorf("void codes: %w", err)
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO signin_codes (contact_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		contactID, hash, now.Unix(), expires.Unix())
	if err != nil {
		return fmt.Errorf("insert code: %w", err)
	}
	return nil
}

// LiveSigninCode returns the contact's unused, unexpired code.
func (q Q) LiveSigninCode(ctx context.Context, contactID int64, now time.Time) (*SigninCode, error) {
	var c SigninCode
	var exp int64
	err := q.q.QueryRowContext(ctx, `SELECT id, contact_id, code_hash, expires_at, attempts FROM signin_codes
		WHERE contact_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1`, contactID, now.Unix()).
		Scan(&c.ID, &c.ContactID, &c.Hash, &exp, &c.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in code: %w", err)
	}
	c.ExpiresAt = unix(exp)
	return &c, nil
}

// CountSigninCodes counts codes issued to a contact since a time.
func (q Q) CountSigninCodes(ctx context.Context, contactID int64, since time.Time) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM signin_codes WHERE contact_id = ? AND created_at >= ?`, contactID, since.Unix()).Scan(&n)
	return n, err
}

// FailSigninCode counts a wrong guess; at maxAttempts the code is spent.
func (tx *Tx) FailSigninCode(ctx context.Context, id int64, maxAttempts int, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET attempts = attempts + 1,
		used_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE used_at END WHERE id = ?`, maxAttempts, now.Unix(), id)
	return err
}

// UseSigninCode spends a code; false when it was spent meanwhile.
func (tx *Tx) UseSigninCode(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, now.Unix(), id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// InsertSession stores a session under the hash of its cookie value.
func (tx *Tx) InsertSession(ctx context.Context, s *model.Session, tokenHash []byte) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO sessions (contact_id, token_hash, csrf_token, created_at, last_seen, expires_at,
		user_agent, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ContactID, tokenHash, s.CSRFToken, s.CreatedAt.Unix(),
		s.LastSeen.Unix(), s.ExpiresAt.Unix(), s.UserAgent, s.RemoteAddr)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

const sessionCols = `id, contact_id, csrf_token, created_at, last_seen, expires_at, revoked_at, user_agent, remote_addr`

func scanSession(sc interface{ Scan(...any) error }) (*model.Session, error) {
	var s model.Session
	var created, seen, exp int64
	var revoked sql.NullInt64
	if err := sc.Scan(&s.ID, &s.ContactID, &s.CSRFToken, &created, &seen, &exp, &revoked, &s.UserAgent, &s.RemoteAddr); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt, s.RevokedAt = unix(created), unix(seen), unix(exp), nullUnix(revoked)
	return &s, nil
}

// SessionByHash finds a session by the hash of its cookie value.
func (q Q) SessionByHash(ctx context.Context, hash []byte) (*model.Session, error) {
	s, err := scanSession(q.q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

// TouchSession records activity.
func (tx *Tx) TouchSession(ctx context.Context, id int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, now.Unix(), id)
	return err
}

// RevokeSessions ends sessions: one (id) or all of a contact (id 0).
func (tx *Tx) RevokeSessions(ctx context.Context, contactID, id int64, now time.Time) (int64, error) {
	q, args := `UPDATE sessions SET revoked_at = ? WHERE contact_id = ? AND revoked_at IS NULL`, []any{now.Unix(), contactID}
	if id != 0 {
		q, args = q+` AND id = ?`, append(args, id)
	}
	res, err := tx.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return res.RowsAffected()
}

// Sessions lists a contact's sessions, newest first.
func (q Q) Sessions(ctx context.Context, contactID int64) ([]*model.Session, error) {
	return collect(q, ctx, scanSession, `SELECT `+sessionCols+` FROM sessions WHERE contact_id = ? ORDER BY id DESC LIMIT 50`, contactID)
}
