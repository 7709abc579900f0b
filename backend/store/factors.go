package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Passkey is a stored WebAuthn credential of a person.
type Passkey struct {
	ID           int64      `json:"id"`
	EmailKey     string     `json:"-"`
	CredentialID []byte     `json:"-"`
	Credential   string     `json:"-"` // the library's record, JSON
	Name         string     `json:"name"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
}

func scanPasskey(sc scanner) (*Passkey, error) {
	var p Passkey
	var created int64
	var used sql.NullInt64
	if err := sc.Scan(&p.ID, &p.EmailKey, &p.CredentialID, &p.Credential, &p.Name, &created, &used); err != nil {
		return nil, err
	}
	p.CreatedAt, p.LastUsedAt = unix(created), nullUnix(used)
	return &p, nil
}

const passkeyCols = `id, email_key, credential_id, credential, name, created_at, last_used_at`

// PersonHandle is the WebAuthn user handle of a person ("" key: none yet).
func (q Q) PersonHandle(ctx context.Context, emailKey string) ([]byte, error) {
	var h []byte
	err := q.q.QueryRowContext(ctx, `SELECT handle FROM person_handles WHERE email_key = ?`, emailKey).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return h, err
}

// PersonByHandle is the person a user handle stands for.
func (q Q) PersonByHandle(ctx context.Context, handle []byte) (string, error) {
	var k string
	err := q.q.QueryRowContext(ctx, `SELECT email_key FROM person_handles WHERE handle = ?`, handle).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return k, err
}

// PutPersonHandle records a person's handle once; an existing one stays.
func (tx *Tx) PutPersonHandle(ctx context.Context, emailKey string, handle []byte) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO person_handles (email_key, handle) VALUES (?, ?) ON CONFLICT (email_key) DO NOTHING`,
		emailKey, handle)
	return err
}

// Passkeys lists a person's passkeys, oldest first.
func (q Q) Passkeys(ctx context.Context, emailKey string) ([]*Passkey, error) {
	return collect(q, ctx, scanPasskey, `SELECT `+passkeyCols+` FROM passkeys WHERE email_key = ? ORDER BY id`, emailKey)
}

// InsertPasskey stores a passkey; a credential id seen before is ErrDuplicate.
func (tx *Tx) InsertPasskey(ctx context.Context, p *Passkey) (err error) {
	p.ID, err = tx.insert(ctx, "passkey", `INSERT INTO passkeys (email_key, credential_id, credential, name, created_at)
		VALUES (?, ?, ?, ?, ?)`, p.EmailKey, p.CredentialID, p.Credential, p.Name, p.CreatedAt.Unix())
	return err
}

// UsePasskey records a sign-in with a passkey: the new credential record
// (its signature counter) and when.
func (tx *Tx) UsePasskey(ctx context.Context, id int64, credential string, now time.Time) error {
	return tx.execOne(ctx, "use passkey", `UPDATE passkeys SET credential = ?, last_used_at = ? WHERE id = ?`, credential, now.Unix(), id)
}

// DeletePasskey removes one of a person's passkeys.
func (tx *Tx) DeletePasskey(ctx context.Context, emailKey string, id int64) error {
	return tx.execOne(ctx, "delete passkey", `DELETE FROM passkeys WHERE id = ? AND email_key = ?`, id, emailKey)
}

// TOTP is a person's authenticator app.
type TOTP struct {
	EmailKey    string
	SecretRef   string
	ConfirmedAt *time.Time
	LastStep    int64
	Failures    int
	FailedAt    *time.Time
}

// TOTPOf loads a person's authenticator app.
func (q Q) TOTPOf(ctx context.Context, emailKey string) (*TOTP, error) {
	return one(q, ctx, func(sc scanner) (*TOTP, error) {
		var t TOTP
		var confirmed, failed sql.NullInt64
		if err := sc.Scan(&t.EmailKey, &t.SecretRef, &confirmed, &t.LastStep, &t.Failures, &failed); err != nil {
			return nil, err
		}
		t.ConfirmedAt, t.FailedAt = nullUnix(confirmed), nullUnix(failed)
		return &t, nil
	}, "totp", `SELECT email_key, secret_ref, confirmed_at, last_step, failures, failed_at FROM totp_factors WHERE email_key = ?`, emailKey)
}

// PutTOTP replaces a person's authenticator app with an unconfirmed one.
func (tx *Tx) PutTOTP(ctx context.Context, emailKey, secretRef string, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `INSERT OR REPLACE INTO totp_factors (email_key, secret_ref, created_at) VALUES (?, ?, ?)`,
		emailKey, secretRef, now.Unix())
	return err
}

// UseTOTPStep spends a code's time step: false when that step (or a later
// one) was used already, so a code works once.
func (tx *Tx) UseTOTPStep(ctx context.Context, emailKey string, step int64, now time.Time) (bool, error) {
	return tx.execIf(ctx, "use totp", `UPDATE totp_factors SET last_step = ?, failures = 0, failed_at = NULL,
		confirmed_at = coalesce(confirmed_at, ?) WHERE email_key = ? AND last_step < ?`, step, now.Unix(), emailKey, step)
}

// FailTOTP counts a wrong code; a count older than window starts again.
func (tx *Tx) FailTOTP(ctx context.Context, emailKey string, window time.Duration, now time.Time) error {
	return tx.execOne(ctx, "fail totp", `UPDATE totp_factors SET failures = CASE WHEN failed_at IS NULL OR failed_at <= ?
		THEN 1 ELSE failures + 1 END, failed_at = ? WHERE email_key = ?`, now.Add(-window).Unix(), now.Unix(), emailKey)
}

// DeleteTOTP removes a person's authenticator app.
func (tx *Tx) DeleteTOTP(ctx context.Context, emailKey string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM totp_factors WHERE email_key = ?`, emailKey)
	return err
}

// CountFactors counts a person's passkeys and confirmed authenticator apps.
func (q Q) CountFactors(ctx context.Context, emailKey string) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM passkeys WHERE email_key = ?) +
		(SELECT count(*) FROM totp_factors WHERE email_key = ? AND confirmed_at IS NOT NULL)`, emailKey, emailKey).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("factors: %w", err)
	}
	return n, nil
}

// ResetFactors removes every factor of a person.
func (tx *Tx) ResetFactors(ctx context.Context, emailKey string) error {
	for _, q := range []string{`DELETE FROM passkeys WHERE email_key = ?`, `DELETE FROM totp_factors WHERE email_key = ?`} {
		if _, err := tx.q.ExecContext(ctx, q, emailKey); err != nil {
			return fmt.Errorf("reset factors: %w", err)
		}
	}
	return nil
}

// SetSessionFactor records the second factor a session proved.
func (tx *Tx) SetSessionFactor(ctx context.Context, sessionID int64, factor string) error {
	return tx.execOne(ctx, "session factor", `UPDATE sessions SET factor = ? WHERE id = ?`, factor, sessionID)
}
