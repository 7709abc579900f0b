package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

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
