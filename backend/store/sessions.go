package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// InsertSession stores a session under the hash of its cookie value, with
// the contacts it may act as; s.ContactID (0: none) is the one chosen.
func (tx *Tx) InsertSession(ctx context.Context, s *model.Session, tokenHash []byte, contactIDs []int64) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO sessions (contact_id, email_key, token_hash, csrf_token, created_at,
		last_seen, expires_at, user_agent, remote_addr, factor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, nullID(s.ContactID), s.EmailKey,
		tokenHash, s.CSRFToken, s.CreatedAt.Unix(), s.LastSeen.Unix(), s.ExpiresAt.Unix(), s.UserAgent, s.RemoteAddr, s.Factor)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	if s.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	for _, id := range contactIDs {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO session_contacts (session_id, contact_id) VALUES (?, ?)`, s.ID, id); err != nil {
			return fmt.Errorf("session %d for contact %d: %w", s.ID, id, err)
		}
	}
	return nil
}

const sessionCols = `s.id, coalesce(s.contact_id, 0), s.email_key, s.csrf_token, s.created_at, s.last_seen, s.expires_at,
	s.revoked_at, s.user_agent, s.remote_addr, s.factor`

func scanSession(sc interface{ Scan(...any) error }) (*model.Session, error) {
	var s model.Session
	var created, seen, exp int64
	var revoked sql.NullInt64
	if err := sc.Scan(&s.ID, &s.ContactID, &s.EmailKey, &s.CSRFToken, &created, &seen, &exp, &revoked,
		&s.UserAgent, &s.RemoteAddr, &s.Factor); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt, s.RevokedAt = unix(created), unix(seen), unix(exp), nullUnix(revoked)
	return &s, nil
}

// SessionByHash finds a session by the hash of its cookie value.
func (q Q) SessionByHash(ctx context.Context, hash []byte) (*model.Session, error) {
	s, err := scanSession(q.q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

// SessionWithHash finds a session by id, with the hash of its cookie value.
func (q Q) SessionWithHash(ctx context.Context, id int64) (*model.Session, []byte, error) {
	var hash []byte
	s, err := scanSession(scanWith{q.q.QueryRowContext(ctx, `SELECT `+sessionCols+`, s.token_hash FROM sessions s WHERE s.id = ?`, id), &hash})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session %d: %w", id, err)
	}
	return s, hash, nil
}

// SessionContacts lists the contacts a session may still act as (not
// signed out of it), in account order.
func (q Q) SessionContacts(ctx context.Context, sessionID int64) ([]*model.Contact, error) {
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+`
		JOIN session_contacts sc ON sc.contact_id = c.id
		WHERE sc.session_id = ? AND sc.revoked_at IS NULL ORDER BY c.account_id, c.id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("contacts of session %d: %w", sessionID, err)
	}
	return cs, q.loadServices(ctx, cs)
}

// ChooseContact sets the contact a session acts as (0: none).
func (tx *Tx) ChooseContact(ctx context.Context, sessionID, contactID int64) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE sessions SET contact_id = ? WHERE id = ?`, nullID(contactID), sessionID)
	if err != nil {
		return fmt.Errorf("choose contact %d for session %d: %w", contactID, sessionID, err)
	}
	return nil
}

// TouchSession records activity.
func (tx *Tx) TouchSession(ctx context.Context, id int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, now.Unix(), id)
	return err
}

// EndSession signs a session out of everything.
func (tx *Tx) EndSession(ctx context.Context, id int64, now time.Time) error {
	if _, err := tx.q.ExecContext(ctx, `UPDATE session_contacts SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL`,
		now.Unix(), id); err != nil {
		return fmt.Errorf("end session %d: %w", id, err)
	}
	if _, err := tx.q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, now.Unix(), id); err != nil {
		return fmt.Errorf("end session %d: %w", id, err)
	}
	return nil
}

// RevokeSessions signs a contact out of one session (id) or all (id 0),
// and reports how many. A session left with no contact ends; one that
// was acting as the contact must choose again.
func (tx *Tx) RevokeSessions(ctx context.Context, contactID, id int64, now time.Time) (int64, error) {
	q, args := `UPDATE session_contacts SET revoked_at = ? WHERE contact_id = ? AND revoked_at IS NULL`, []any{now.Unix(), contactID}
	if id != 0 {
		q, args = q+` AND session_id = ?`, append(args, id)
	}
	res, err := tx.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of contact %d: %w", contactID, err)
	}
	n, _ := res.RowsAffected()
	if _, err := tx.q.ExecContext(ctx, `UPDATE sessions SET contact_id = NULL WHERE contact_id = ? AND (? = 0 OR id = ?)`,
		contactID, id, id); err != nil {
		return 0, fmt.Errorf("revoke sessions of contact %d: %w", contactID, err)
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL
		AND id IN (SELECT session_id FROM session_contacts WHERE contact_id = ?)
		AND NOT EXISTS (SELECT 1 FROM session_contacts sc WHERE sc.session_id = sessions.id AND sc.revoked_at IS NULL)`,
		now.Unix(), contactID)
	if err != nil {
		return 0, fmt.Errorf("end emptied sessions: %w", err)
	}
	return n, nil
}

// Sessions lists the sessions that may act as a contact, newest first;
// RevokedAt is when the contact was signed out of each.
func (q Q) Sessions(ctx context.Context, contactID int64) ([]*model.Session, error) {
	return collect(q, ctx, scanSession, `SELECT s.id, sc.contact_id, s.email_key, s.csrf_token, s.created_at, s.last_seen,
		s.expires_at, coalesce(sc.revoked_at, s.revoked_at), s.user_agent, s.remote_addr, s.factor
		FROM sessions s JOIN session_contacts sc ON sc.session_id = s.id
		WHERE sc.contact_id = ? ORDER BY s.id DESC LIMIT 50`, contactID)
}

// LiveSessions counts the client-area sessions still signed in: not
// ended, not expired, used since idleSince.
func (q Q) LiveSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > ? AND last_seen >= ?`,
		now.Unix(), idleSince.Unix()).Scan(&n)
	return n, err
}
