package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

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
