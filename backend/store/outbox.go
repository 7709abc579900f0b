package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// Outbox states.
const (
	OutboxPending   = "pending"
	OutboxSent      = "sent"
	OutboxFailed    = "failed"
	OutboxCancelled = "cancelled"
)

// EnqueueMail writes a message to the outbox; the worker sends it.
func (tx *Tx) EnqueueMail(ctx context.Context, m *model.OutboxMessage, now time.Time) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO outbox (message_id, kind, ref_id, mail_from, rcpt, raw, state,
		attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
		m.MessageID, m.Kind, m.RefID, m.From, m.To, m.Raw, now.Unix(), now.Unix())
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	m.ID, err = res.LastInsertId()
	m.State, m.NextAttemptAt = OutboxPending, now
	return err
}

// CancelPendingMail cancels unsent mail about a record (e.g. a revoked
// invitation).
func (tx *Tx) CancelPendingMail(ctx context.Context, kind string, refID int64) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE outbox SET state = 'cancelled' WHERE kind = ? AND ref_id = ? AND state = 'pending'`, kind, refID)
	if err != nil {
		return fmt.Errorf("cancel mail: %w", err)
	}
	return nil
}

// DueMail lists pending messages whose next attempt is due, oldest first.
func (q Q) DueMail(ctx context.Context, now time.Time, limit int) ([]*model.OutboxMessage, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT id, message_id, kind, coalesce(ref_id, 0), mail_from, rcpt, raw, state,
		attempts, next_attempt_at, last_error FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`, now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("due mail: %w", err)
	}
	defer rows.Close()
	var out []*model.OutboxMessage
	for rows.Next() {
		var m model.OutboxMessage
		var next int64
		if err := rows.Scan(&m.ID, &m.MessageID, &m.Kind, &m.RefID, &m.From, &m.To, &m.Raw, &m.State,
			&m.Attempts, &next, &m.LastError); err != nil {
			return nil, fmt.Errorf("due mail: %w", err)
		}
		m.NextAttemptAt = unix(next)
		out = append(out, &m)
	}
	return out, rows.Err()
}

// NextMailDue tells when the earliest pending message is due; ok is false
// when nothing is pending.
func (q Q) NextMailDue(ctx context.Context) (t time.Time, ok bool, err error) {
	var next sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("next mail: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return unix(next.Int64), true, nil
}

// MarkMailSent records a delivered message. It reports false when the row
// was no longer pending (cancelled meanwhile).
func (tx *Tx) MarkMailSent(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = ''
		WHERE id = ? AND state = 'pending'`, now.Unix(), id)
	if err != nil {
		return false, fmt.Errorf("mark mail %d sent: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CancelMail gives up on one pending message without sending it.
func (tx *Tx) CancelMail(ctx context.Context, id int64, reason string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE outbox SET state = 'cancelled', last_error = ? WHERE id = ? AND state = 'pending'`, reason, id)
	if err != nil {
		return fmt.Errorf("cancel mail %d: %w", id, err)
	}
	return nil
}

// MarkMailRetry records a failed attempt and when to try again.
func (tx *Tx) MarkMailRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
		WHERE id = ? AND state = 'pending'`, next.Unix(), reason, id)
	if err != nil {
		return fmt.Errorf("mark mail %d for retry: %w", id, err)
	}
	return nil
}

// MarkMailFailed gives up on a message the server refused for good.
func (tx *Tx) MarkMailFailed(ctx context.Context, id int64, reason string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?
		WHERE id = ? AND state = 'pending'`, reason, id)
	if err != nil {
		return fmt.Errorf("mark mail %d failed: %w", id, err)
	}
	return nil
}

// OutboxCounts counts messages by state.
func (q Q) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("outbox counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Setting reads one setting; ok is false when unset.
func (q Q) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = q.q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}

// PutSetting writes one setting.
func (tx *Tx) PutSetting(ctx context.Context, key, value string) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}

// DeleteSetting removes one setting.
func (tx *Tx) DeleteSetting(ctx context.Context, key string) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return err
}

// InboxCursor returns where the watcher stopped in a mailbox; ok is false
// for a mailbox never read.
func (q Q) InboxCursor(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, ok bool, err error) {
	err = q.q.QueryRowContext(ctx, `SELECT uidvalidity, last_uid FROM inbox_cursor WHERE mailbox = ?`, mailbox).Scan(&uidValidity, &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("inbox cursor: %w", err)
	}
	return uidValidity, lastUID, true, nil
}

// PutInboxCursor records where the watcher is in a mailbox.
func (tx *Tx) PutInboxCursor(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO inbox_cursor (mailbox, uidvalidity, last_uid) VALUES (?, ?, ?)
		ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid`,
		mailbox, uidValidity, lastUID)
	if err != nil {
		return fmt.Errorf("put inbox cursor: %w", err)
	}
	return nil
}

// InsertMailEvent records a classifier decision.
func (tx *Tx) InsertMailEvent(ctx context.Context, e *model.MailEvent) error {
	var inv any
	if e.InvitationID != 0 {
		inv = e.InvitationID
	}
	res, err := tx.q.ExecContext(ctx, `INSERT INTO mail_events (at, invitation_id, uid, message_id, from_addr, subject, verdict, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.At.Unix(), inv, e.UID, e.MessageID, e.From, e.Subject, e.Verdict, e.Reason)
	if err != nil {
		return fmt.Errorf("insert mail event: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// MailEvents lists classifier decisions newest first, optionally for one
// invitation.
func (q Q) MailEvents(ctx context.Context, invitationID int64, limit int) ([]*model.MailEvent, error) {
	cond, args := "", []any{}
	if invitationID != 0 {
		cond, args = " WHERE invitation_id = ?", append(args, invitationID)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT id, at, coalesce(invitation_id, 0), uid, message_id, from_addr, subject, verdict, reason
		FROM mail_events`+cond+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("mail events: %w", err)
	}
	defer rows.Close()
	out := []*model.MailEvent{}
	for rows.Next() {
		var e model.MailEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.InvitationID, &e.UID, &e.MessageID, &e.From, &e.Subject, &e.Verdict, &e.Reason); err != nil {
			return nil, err
		}
		e.At = unix(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}
