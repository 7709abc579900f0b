package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SigninCode is a stored one-time code: the hash of the code, keyed by the
// nonce of the browser that asked for it, and the hash of that nonce.
type SigninCode struct {
	ID        int64
	ContactID int64
	Hash      []byte
	ExpiresAt time.Time
	Attempts  int
}

// InsertSigninCode stores a code for a contact and one browser. Codes of
// the contact held by other browsers keep working: a stranger asking for
// a code must not void the one the person is about to type.
func (tx *Tx) InsertSigninCode(ctx context.Context, contactID int64, nonceHash, hash []byte, now, expires time.Time) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO signin_codes (contact_id, nonce_hash, code_hash, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, contactID, nonceHash, hash, now.Unix(), expires.Unix())
	if err != nil {
		return fmt.Errorf("insert code: %w", err)
	}
	return nil
}

// VoidBrowserCodes spends the unused codes one browser asked for (it asked
// again, or signed in).
func (tx *Tx) VoidBrowserCodes(ctx context.Context, nonceHash []byte, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET used_at = ? WHERE nonce_hash = ? AND used_at IS NULL`, now.Unix(), nonceHash)
	if err != nil {
		return fmt.Errorf("void the browser's codes: %w", err)
	}
	return nil
}

// VoidContactCodes spends every unused code of a contact.
func (tx *Tx) VoidContactCodes(ctx context.Context, contactID int64, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET used_at = ? WHERE contact_id = ? AND used_at IS NULL`, now.Unix(), contactID)
	if err != nil {
		return fmt.Errorf("void the codes of contact %d: %w", contactID, err)
	}
	return nil
}

// LiveSigninCode returns the contact's unused, unexpired code for the
// browser whose nonce hashes to nonceHash.
func (q Q) LiveSigninCode(ctx context.Context, contactID int64, nonceHash []byte, now time.Time) (*SigninCode, error) {
	var c SigninCode
	var exp int64
	err := q.q.QueryRowContext(ctx, `SELECT id, contact_id, code_hash, expires_at, attempts FROM signin_codes
		WHERE contact_id = ? AND nonce_hash = ? AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1`,
		contactID, nonceHash, now.Unix()).Scan(&c.ID, &c.ContactID, &c.Hash, &exp, &c.Attempts)
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
	if err != nil {
		return 0, fmt.Errorf("count codes of contact %d: %w", contactID, err)
	}
	return n, nil
}

// FailSigninCode counts a wrong guess; at maxAttempts the code is spent.
func (tx *Tx) FailSigninCode(ctx context.Context, id int64, maxAttempts int, now time.Time) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET attempts = attempts + 1,
		used_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE used_at END WHERE id = ?`, maxAttempts, now.Unix(), id)
	if err != nil {
		return fmt.Errorf("count a wrong code: %w", err)
	}
	return nil
}

// UseSigninCode spends a code; false when it was spent meanwhile.
func (tx *Tx) UseSigninCode(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE signin_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("spend code %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
