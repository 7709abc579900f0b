package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

const invitationCols = `i.id, i.account_id, i.contact_id, i.email, c.first_name || ' ' || c.last_name, i.token,
	i.message_id, i.state, i.detail, i.note, i.created_at, i.sent_at, i.expires_at, i.decided_at,
	i.review, i.notice, i.notice_detail, i.notice_at, i.awaiting_reason, i.reminded_at`

const invitationFrom = ` FROM invitations i JOIN contacts c ON c.id = i.contact_id`

func scanInvitation(sc interface{ Scan(...any) error }) (*model.Invitation, error) {
	var inv model.Invitation
	var created, expires int64
	var sent, decided, notice, reminded sql.NullInt64
	err := sc.Scan(&inv.ID, &inv.AccountID, &inv.ContactID, &inv.Email, &inv.Name, &inv.Token, &inv.MessageID,
		&inv.State, &inv.Detail, &inv.Note, &created, &sent, &expires, &decided,
		&inv.Review, &inv.Notice, &inv.NoticeDetail, &notice, &inv.AwaitingReason, &reminded)
	if err != nil {
		return nil, err
	}
	inv.CreatedAt, inv.ExpiresAt = unix(created), unix(expires)
	inv.SentAt, inv.DecidedAt, inv.NoticeAt, inv.RemindedAt = nullUnix(sent), nullUnix(decided), nullUnix(notice), nullUnix(reminded)
	return &inv, nil
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func nullUnix(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := unix(n.Int64)
	return &t
}

func unixOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

// InsertInvitation stores a new invitation and records its token.
func (tx *Tx) InsertInvitation(ctx context.Context, inv *model.Invitation) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO invitations (account_id, contact_id, email, token, message_id,
		state, detail, note, created_at, sent_at, expires_at, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.AccountID, inv.ContactID, inv.Email, inv.Token, inv.MessageID, inv.State, inv.Detail, inv.Note,
		inv.CreatedAt.Unix(), unixOrNil(inv.SentAt), inv.ExpiresAt.Unix(), unixOrNil(inv.DecidedAt))
	if err != nil {
		return fmt.Errorf("insert invitation: %w", err)
	}
	if inv.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.recordToken(ctx, inv)
}

func (tx *Tx) recordToken(ctx context.Context, inv *model.Invitation) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO invitation_tokens (token, invitation_id, message_id, issued_at) VALUES (?, ?, ?, ?)`,
		inv.Token, inv.ID, inv.MessageID, inv.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("record token: %w", err)
	}
	return nil
}

// UpdateInvitation writes the mutable fields of inv. A changed token is
// recorded and every older token of the invitation is voided.
func (tx *Tx) UpdateInvitation(ctx context.Context, inv *model.Invitation, now time.Time) error {
	var oldToken string
	if err := tx.q.QueryRowContext(ctx, `SELECT token FROM invitations WHERE id = ?`, inv.ID).Scan(&oldToken); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return fmt.Errorf("invitation %d: %w", inv.ID, err)
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE invitations SET token = ?, message_id = ?, state = ?, detail = ?,
		sent_at = ?, expires_at = ?, decided_at = ?, review = ?, notice = ?, notice_detail = ?, notice_at = ?,
		awaiting_reason = ?, reminded_at = ? WHERE id = ?`,
		inv.Token, inv.MessageID, inv.State, inv.Detail, unixOrNil(inv.SentAt), inv.ExpiresAt.Unix(),
		unixOrNil(inv.DecidedAt), inv.Review, inv.Notice, inv.NoticeDetail, unixOrNil(inv.NoticeAt),
		inv.AwaitingReason, unixOrNil(inv.RemindedAt), inv.ID)
	if err != nil {
		return fmt.Errorf("update invitation %d: %w", inv.ID, err)
	}
	if inv.Token != oldToken {
		if _, err := tx.q.ExecContext(ctx, `UPDATE invitation_tokens SET voided_at = ? WHERE invitation_id = ? AND voided_at IS NULL`,
			now.Unix(), inv.ID); err != nil {
			return fmt.Errorf("void tokens of invitation %d: %w", inv.ID, err)
		}
		created := inv.CreatedAt
		inv.CreatedAt = now
		err := tx.recordToken(ctx, inv)
		inv.CreatedAt = created
		return err
	}
	return nil
}

// Invitation loads one invitation.
func (q Q) Invitation(ctx context.Context, id int64) (*model.Invitation, error) {
	inv, err := scanInvitation(q.q.QueryRowContext(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("invitation %d: %w", id, err)
	}
	return inv, nil
}

// TokenRecord is an issued token and whether a newer one replaced it.
type TokenRecord struct {
	Invitation *model.Invitation
	Token      string
	MessageID  string
	Voided     bool
}

// InvitationByToken finds the invitation a token (current or voided) was
// issued for.
func (q Q) InvitationByToken(ctx context.Context, token string) (*TokenRecord, error) {
	return q.tokenRecord(ctx, `t.token = ?`, token)
}

// InvitationByMessageID finds the invitation an invitation message id was
// sent for.
func (q Q) InvitationByMessageID(ctx context.Context, id string) (*TokenRecord, error) {
	return q.tokenRecord(ctx, `t.message_id = ?`, id)
}

func (q Q) tokenRecord(ctx context.Context, cond string, arg any) (*TokenRecord, error) {
	var tr TokenRecord
	var voided sql.NullInt64
	row := q.q.QueryRowContext(ctx, `SELECT t.token, t.message_id, t.voided_at, `+invitationCols+
		` FROM invitation_tokens t JOIN invitations i ON i.id = t.invitation_id JOIN contacts c ON c.id = i.contact_id WHERE `+cond, arg)
	inv, err := scanInvitation(prefixed{row, []any{&tr.Token, &tr.MessageID, &voided}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("invitation token: %w", err)
	}
	tr.Voided, tr.Invitation = voided.Valid, inv
	return &tr, nil
}

// prefixed scans some leading columns before the ones its user asks for.
type prefixed struct {
	row interface{ Scan(...any) error }
	pre []any
}

func (p prefixed) Scan(dest ...any) error { return p.row.Scan(append(p.pre, dest...)...) }

// InvitationFilter narrows an invitation listing.
type InvitationFilter struct {
	AccountID int64
	ContactID int64
	State     string
	Limit     int
	Offset    int
}

// Invitations lists invitations newest first and counts all matches.
func (q Q) Invitations(ctx context.Context, f InvitationFilter) ([]*model.Invitation, int, error) {
	cond, args := " WHERE 1=1", []any{}
	if f.AccountID != 0 {
		cond, args = cond+" AND i.account_id = ?", append(args, f.AccountID)
	}
	if f.ContactID != 0 {
		cond, args = cond+" AND i.contact_id = ?", append(args, f.ContactID)
	}
	if f.State != "" {
		cond, args = cond+" AND i.state = ?", append(args, f.State)
	}
	var total int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*)`+invitationFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count invitations: %w", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT `+invitationCols+invitationFrom+cond+` ORDER BY i.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("invitations: %w", err)
	}
	defer rows.Close()
	out := []*model.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("invitations: %w", err)
		}
		out = append(out, inv)
	}
	return out, total, rows.Err()
}

// ExpiredPendingInvitations lists queued or sent invitations past expiry.
// An awaiting one does not expire: its reply came in time and waits for
// the owner.
func (q Q) ExpiredPendingInvitations(ctx context.Context, now time.Time) ([]*model.Invitation, error) {
	return q.invitationList(ctx, ` WHERE i.state IN ('queued', 'sent') AND i.expires_at <= ?`, now.Unix())
}

// PendingInvitationsOf lists a contact's queued, sent or awaiting invitations.
func (q Q) PendingInvitationsOf(ctx context.Context, contactID int64) ([]*model.Invitation, error) {
	return q.invitationList(ctx, ` WHERE i.contact_id = ? AND i.state IN ('queued', 'sent', 'awaiting')`, contactID)
}

// PendingInvitationsFor lists the queued, sent or awaiting invitations
// sent to an address (ASCII case-insensitive), newest first.
func (q Q) PendingInvitationsFor(ctx context.Context, email string) ([]*model.Invitation, error) {
	return q.invitationList(ctx, ` WHERE i.email = ? COLLATE NOCASE AND i.state IN ('queued', 'sent', 'awaiting') ORDER BY i.id DESC`, email)
}

// PendingInvitees lists the distinct addresses with a queued, sent or
// awaiting invitation.
func (q Q) PendingInvitees(ctx context.Context) ([]string, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT DISTINCT lower(email) FROM invitations WHERE state IN ('queued', 'sent', 'awaiting') ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("pending invitees: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("pending invitees: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ActivateInvitedContact makes a contact active if, and only if, it is
// still invited; false when it was not.
func (tx *Tx) ActivateInvitedContact(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE contacts SET status = 'active', updated_at = ? WHERE id = ? AND status = 'invited'`,
		now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("activate contact %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FirstInvitation is when the oldest invitation was made; zero if none.
func (q Q) FirstInvitation(ctx context.Context) (time.Time, error) {
	var first sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT min(created_at) FROM invitations`).Scan(&first); err != nil {
		return time.Time{}, fmt.Errorf("first invitation: %w", err)
	}
	if !first.Valid {
		return time.Time{}, nil
	}
	return unix(first.Int64), nil
}

// InvitationHistory counts a contact's invitations and says whether one
// was accepted.
func (q Q) InvitationHistory(ctx context.Context, contactID int64) (invitations int, accepted bool, err error) {
	var n int
	err = q.q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(state = 'accepted'), 0) FROM invitations WHERE contact_id = ?`,
		contactID).Scan(&invitations, &n)
	if err != nil {
		return 0, false, fmt.Errorf("invitations of contact %d: %w", contactID, err)
	}
	return invitations, n > 0, nil
}

func (q Q) invitationList(ctx context.Context, cond string, args ...any) ([]*model.Invitation, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+invitationCols+invitationFrom+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("invitations: %w", err)
	}
	defer rows.Close()
	var out []*model.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("invitations: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}
