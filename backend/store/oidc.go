package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
)

const oidcClientCols = `id, site_id, name, secret_hash, redirect_uris, created_at, updated_at`

func scanOIDCClient(sc interface{ Scan(...any) error }) (*model.OIDCClient, error) {
	var c model.OIDCClient
	var uris string
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.SiteID, &c.Name, &c.SecretHash, &uris, &created, &updated); err != nil {
		return nil, err
	}
	c.RedirectURIs = strings.Fields(uris)
	c.CreatedAt, c.UpdatedAt = unix(created), unix(updated)
	return &c, nil
}

// OIDCClients lists a site's relying parties (all sites' with siteID 0).
func (q Q) OIDCClients(ctx context.Context, siteID int64) ([]*model.OIDCClient, error) {
	return collect(q, ctx, scanOIDCClient, `SELECT `+oidcClientCols+` FROM oidc_clients WHERE ? = 0 OR site_id = ?
		ORDER BY created_at, id`, siteID, siteID)
}

// OIDCClient finds a relying party by client_id.
func (q Q) OIDCClient(ctx context.Context, id string) (*model.OIDCClient, error) {
	return one(q, ctx, scanOIDCClient, "oidc client "+id, `SELECT `+oidcClientCols+` FROM oidc_clients WHERE id = ?`, id)
}

// PutOIDCClient inserts or replaces a relying party.
func (tx *Tx) PutOIDCClient(ctx context.Context, c *model.OIDCClient) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_clients (`+oidcClientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_hash = excluded.secret_hash,
		redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at`,
		c.ID, c.SiteID, c.Name, c.SecretHash, strings.Join(c.RedirectURIs, "\n"), c.CreatedAt.Unix(), c.UpdatedAt.Unix())
	if err != nil {
		return fmt.Errorf("put oidc client %s: %w", c.ID, err)
	}
	return nil
}

// DeleteOIDCClient removes a relying party and what it was given.
func (tx *Tx) DeleteOIDCClient(ctx context.Context, id string) error {
	return tx.execOne(ctx, "delete oidc client "+id, `DELETE FROM oidc_clients WHERE id = ?`, id)
}

// OIDCRequest is an authorization request on its way to a token.
type OIDCRequest struct {
	ID, ClientID string
	Request      []byte // the validated request, JSON
	ContactID    int64  // 0 until someone signed in for it
	SessionID    int64
	AuthTime     time.Time
	ExpiresAt    time.Time
}

const oidcRequestCols = `id, client_id, request, coalesce(contact_id, 0), coalesce(session_id, 0), coalesce(auth_time, 0), expires_at`

func scanOIDCRequest(sc interface{ Scan(...any) error }) (*OIDCRequest, error) {
	var r OIDCRequest
	var auth, exp int64
	if err := sc.Scan(&r.ID, &r.ClientID, &r.Request, &r.ContactID, &r.SessionID, &auth, &exp); err != nil {
		return nil, err
	}
	if auth != 0 {
		r.AuthTime = unix(auth)
	}
	r.ExpiresAt = unix(exp)
	return &r, nil
}

// InsertOIDCRequest stores a validated authorization request.
func (tx *Tx) InsertOIDCRequest(ctx context.Context, r *OIDCRequest, now time.Time) error {
	// Requests nobody finished are of no use after they expire.
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_requests WHERE expires_at <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("prune oidc requests: %w", err)
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_requests (id, client_id, request, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		r.ID, r.ClientID, r.Request, now.Unix(), r.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("insert oidc request: %w", err)
	}
	return nil
}

// OIDCRequestByID finds a live request.
func (q Q) OIDCRequestByID(ctx context.Context, id string, now time.Time) (*OIDCRequest, error) {
	return q.oidcRequest(ctx, `id = ?`, id, now)
}

// OIDCRequestByCode finds a live request by the hash of its code.
func (q Q) OIDCRequestByCode(ctx context.Context, codeHash []byte, now time.Time) (*OIDCRequest, error) {
	return q.oidcRequest(ctx, `code_hash = ?`, codeHash, now)
}

func (q Q) oidcRequest(ctx context.Context, where string, arg any, now time.Time) (*OIDCRequest, error) {
	return one(q, ctx, scanOIDCRequest, "oidc request", `SELECT `+oidcRequestCols+` FROM oidc_requests WHERE `+where+
		` AND expires_at > ?`, arg, now.Unix())
}

// CompleteOIDCRequest records who signed in for a request.
func (tx *Tx) CompleteOIDCRequest(ctx context.Context, id string, contactID, sessionID int64, at time.Time) error {
	return tx.execOne(ctx, "complete oidc request "+id, `UPDATE oidc_requests SET contact_id = ?, session_id = ?, auth_time = ? WHERE id = ?`,
		contactID, sessionID, at.Unix(), id)
}

// SetOIDCCode records the hash of the code issued for a request; a request
// gets one code.
func (tx *Tx) SetOIDCCode(ctx context.Context, id string, codeHash []byte) error {
	return tx.execOne(ctx, "oidc code for "+id, `UPDATE oidc_requests SET code_hash = ? WHERE id = ? AND code_hash IS NULL`, codeHash, id)
}

// DeleteOIDCRequest forgets a request (its code is spent).
func (tx *Tx) DeleteOIDCRequest(ctx context.Context, id string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_requests WHERE id = ?`, id)
	return err
}

// OIDCToken is an access token's record.
type OIDCToken struct {
	ID, ClientID string
	ContactID    int64
	SessionID    int64 // the client-area session that signed in for it
	Scopes       []string
	ExpiresAt    time.Time
	Revoked      bool
}

// InsertOIDCToken stores an access token's record.
func (tx *Tx) InsertOIDCToken(ctx context.Context, t *OIDCToken, now time.Time) error {
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM oidc_tokens WHERE expires_at <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("prune oidc tokens: %w", err)
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_tokens (id, client_id, contact_id, session_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.ClientID, t.ContactID, nullID(t.SessionID), strings.Join(t.Scopes, " "), t.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("insert oidc token: %w", err)
	}
	return nil
}

// OIDCTokenByID finds an access token's record.
func (q Q) OIDCTokenByID(ctx context.Context, id string) (*OIDCToken, error) {
	var t OIDCToken
	var scopes string
	var exp int64
	var revoked sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT id, client_id, contact_id, coalesce(session_id, 0), scopes, expires_at, revoked_at
		FROM oidc_tokens WHERE id = ?`, id).Scan(&t.ID, &t.ClientID, &t.ContactID, &t.SessionID, &scopes, &exp, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oidc token: %w", err)
	}
	t.Scopes, t.ExpiresAt, t.Revoked = strings.Fields(scopes), unix(exp), revoked.Valid
	return &t, nil
}

// RevokeOIDCTokens revokes one token (id) or every token of a contact for
// a client (id empty).
func (tx *Tx) RevokeOIDCTokens(ctx context.Context, id, clientID string, contactID int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND client_id = ?
		AND (id = ? OR (? = '' AND contact_id = ?))`, now.Unix(), clientID, id, id, contactID)
	if err != nil {
		return fmt.Errorf("revoke oidc tokens: %w", err)
	}
	return nil
}

// OIDCSubject is the contact's subject identifier, made on first use.
func (tx *Tx) OIDCSubject(ctx context.Context, contactID int64) (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO oidc_subjects (contact_id, subject) VALUES (?, ?) ON CONFLICT (contact_id) DO NOTHING`,
		contactID, base64.RawURLEncoding.EncodeToString(b)); err != nil {
		return "", fmt.Errorf("oidc subject of contact %d: %w", contactID, err)
	}
	var sub string
	err := tx.q.QueryRowContext(ctx, `SELECT subject FROM oidc_subjects WHERE contact_id = ?`, contactID).Scan(&sub)
	return sub, err
}

// ContactBySubject finds the contact an OIDC subject stands for.
func (q Q) ContactBySubject(ctx context.Context, subject string) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `SELECT contact_id FROM oidc_subjects WHERE subject = ?`, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// OIDCSubjectOf is a contact's subject, once made.
func (q Q) OIDCSubjectOf(ctx context.Context, contactID int64) (string, error) {
	var sub string
	err := q.q.QueryRowContext(ctx, `SELECT subject FROM oidc_subjects WHERE contact_id = ?`, contactID).Scan(&sub)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return sub, err
}
