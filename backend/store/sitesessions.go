package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// SiteTicket is a one-time hand-over of a portal session to one site.
type SiteTicket struct {
	SiteID, SessionID int64
	StateHash         []byte
	ReturnURL         string
}

// InsertSiteTicket stores a ticket under its hash.
func (tx *Tx) InsertSiteTicket(ctx context.Context, hash []byte, t *SiteTicket, expires time.Time) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO site_tickets (ticket_hash, site_id, session_id, state_hash, return_url, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, hash, t.SiteID, t.SessionID, t.StateHash, t.ReturnURL, expires.Unix())
	if err != nil {
		return fmt.Errorf("insert site ticket: %w", err)
	}
	return nil
}

// UseSiteTicket spends a live ticket: it works once, before it expires.
func (tx *Tx) UseSiteTicket(ctx context.Context, hash []byte, now time.Time) (*SiteTicket, error) {
	var t SiteTicket
	err := tx.q.QueryRowContext(ctx, `UPDATE site_tickets SET used_at = ? WHERE ticket_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING site_id, session_id, state_hash, return_url`, now.Unix(), hash, now.Unix()).
		Scan(&t.SiteID, &t.SessionID, &t.StateHash, &t.ReturnURL)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("use site ticket: %w", err)
	}
	// Spent and expired tickets are of no use to anyone.
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM site_tickets WHERE expires_at <= ?`, now.Add(-time.Hour).Unix()); err != nil {
		return nil, fmt.Errorf("prune site tickets: %w", err)
	}
	return &t, nil
}

// InsertSiteSession stores a site cookie's hash for a portal session.
func (tx *Tx) InsertSiteSession(ctx context.Context, hash []byte, siteID, sessionID int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO site_sessions (token_hash, site_id, session_id, created_at) VALUES (?, ?, ?, ?)`,
		hash, siteID, sessionID, now.Unix())
	if err != nil {
		return fmt.Errorf("insert site session: %w", err)
	}
	return nil
}

// SiteSession finds the site and portal session a site cookie stands for.
func (q Q) SiteSession(ctx context.Context, hash []byte) (siteID, sessionID int64, err error) {
	err = q.q.QueryRowContext(ctx, `SELECT site_id, session_id FROM site_sessions WHERE token_hash = ?`, hash).Scan(&siteID, &sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("site session: %w", err)
	}
	return siteID, sessionID, nil
}

// SessionByID finds a portal session by its id.
func (q Q) SessionByID(ctx context.Context, id int64) (*model.Session, error) {
	return one(q, ctx, scanSession, fmt.Sprintf("session %d", id), `SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id)
}

// DeleteSiteSession forgets a site cookie.
func (tx *Tx) DeleteSiteSession(ctx context.Context, hash []byte) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM site_sessions WHERE token_hash = ?`, hash)
	return err
}
