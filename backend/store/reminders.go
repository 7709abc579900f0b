package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// GrantReminder is one reminder sent before a grant's end. Token and
// MessageID are the contact's copy's ("" when only the owner was told).
type GrantReminder struct {
	ID        int64
	ContactID int64
	EndsAt    time.Time
	Days      int
	Token     string
	MessageID string
	CreatedAt time.Time
}

func scanReminder(sc scanner) (*GrantReminder, error) {
	var r GrantReminder
	var ends, created int64
	var token, msgID sql.NullString
	if err := sc.Scan(&r.ID, &r.ContactID, &ends, &r.Days, &token, &msgID, &created); err != nil {
		return nil, err
	}
	r.EndsAt, r.CreatedAt, r.Token, r.MessageID = unix(ends), unix(created), token.String, msgID.String
	return &r, nil
}

const reminderCols = `id, contact_id, ends_at, days, token, message_id, created_at`

// ExpiringContacts lists the active contacts whose grant ends in (from, until].
func (q Q) ExpiringContacts(ctx context.Context, from, until time.Time) ([]*model.Contact, error) {
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+`
		WHERE c.status = 'active' AND g.expires_at > ? AND g.expires_at <= ? ORDER BY g.expires_at, c.id`, from.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("expiring contacts: %w", err)
	}
	return cs, nil
}

// SmallestReminder is the fewest days before endsAt a reminder was sent for
// this end of the contact's grant (ok false: none yet).
func (q Q) SmallestReminder(ctx context.Context, contactID int64, endsAt time.Time) (days int, ok bool, err error) {
	var n sql.NullInt64
	err = q.q.QueryRowContext(ctx, `SELECT min(days) FROM grant_reminders WHERE contact_id = ? AND ends_at = ?`,
		contactID, endsAt.Unix()).Scan(&n)
	if err != nil {
		return 0, false, fmt.Errorf("reminders of contact %d: %w", contactID, err)
	}
	return int(n.Int64), n.Valid, nil
}

// InsertGrantReminder records a reminder; the same one twice is ErrDuplicate.
func (tx *Tx) InsertGrantReminder(ctx context.Context, r *GrantReminder) (err error) {
	nullStr := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	r.ID, err = tx.insert(ctx, "grant reminder", `INSERT INTO grant_reminders (contact_id, ends_at, days, token, message_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.ContactID, r.EndsAt.Unix(), r.Days, nullStr(r.Token), nullStr(r.MessageID), r.CreatedAt.Unix())
	return err
}

// ReminderByToken finds the reminder whose contact copy carries token.
func (q Q) ReminderByToken(ctx context.Context, token string) (*GrantReminder, error) {
	return one(q, ctx, scanReminder, "reminder", `SELECT `+reminderCols+` FROM grant_reminders WHERE token = ?`, token)
}

// ReminderByMessageID finds the reminder sent as Message-ID id.
func (q Q) ReminderByMessageID(ctx context.Context, id string) (*GrantReminder, error) {
	return one(q, ctx, scanReminder, "reminder", `SELECT `+reminderCols+` FROM grant_reminders WHERE message_id = ?`, id)
}

// FirstReminder is when the oldest reminder with a reply token went; zero if none.
func (q Q) FirstReminder(ctx context.Context) (time.Time, error) {
	var first sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT min(created_at) FROM grant_reminders WHERE token IS NOT NULL`).Scan(&first); err != nil {
		return time.Time{}, fmt.Errorf("first reminder: %w", err)
	}
	if !first.Valid {
		return time.Time{}, nil
	}
	return unix(first.Int64), nil
}

// SetGrantTerm keeps a grant's length across an extension.
func (tx *Tx) SetGrantTerm(ctx context.Context, contactID int64, days int) error {
	return tx.execOne(ctx, fmt.Sprintf("term of contact %d", contactID), `UPDATE grants SET term_days = ? WHERE contact_id = ?`, days, contactID)
}

// InvitationsToRemind lists sent invitations not reminded yet that expire
// in (now, before].
func (q Q) InvitationsToRemind(ctx context.Context, now, before time.Time) ([]*model.Invitation, error) {
	return q.invitationList(ctx, ` WHERE i.state = 'sent' AND i.reminded_at IS NULL AND i.expires_at > ? AND i.expires_at <= ?`,
		now.Unix(), before.Unix())
}

// PendingExpiring lists queued or sent invitations expiring by before.
func (q Q) PendingExpiring(ctx context.Context, before time.Time) ([]*model.Invitation, error) {
	return q.invitationList(ctx, ` WHERE i.state IN ('queued', 'sent') AND i.expires_at <= ? ORDER BY i.expires_at`, before.Unix())
}
