package store

import (
	"context"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// SupportRequest loads one support request.
func (q Q) SupportRequest(ctx context.Context, id int64) (*model.SupportRequest, error) {
	return one(q, ctx, scanSupport, fmt.Sprintf("support request %d", id), `SELECT `+supportCols+` FROM support_requests WHERE id = ?`, id)
}

// SetSupportStatus changes a request's status and when it last changed.
func (tx *Tx) SetSupportStatus(ctx context.Context, id int64, status string, now time.Time) error {
	return tx.execOne(ctx, fmt.Sprintf("support request %d", id), `UPDATE support_requests SET status = ?, updated_at = ? WHERE id = ?`,
		status, now.Unix(), id)
}

// InsertSupportReply stores a reply and sets its ID.
func (tx *Tx) InsertSupportReply(ctx context.Context, r *model.SupportReply) (err error) {
	r.ID, err = tx.insert(ctx, "support reply", `INSERT INTO support_replies (id, request_id, contact_id, from_owner, author_name, body,
		created_at) VALUES (`+newID("support_replies")+`, ?, ?, ?, ?, ?, ?)`, r.RequestID, nullID(r.ContactID), r.FromOwner, r.AuthorName, r.Body, r.CreatedAt.Unix())
	return err
}

func scanReply(sc scanner) (*model.SupportReply, error) {
	var r model.SupportReply
	var created int64
	if err := sc.Scan(&r.ID, &r.RequestID, &r.ContactID, &r.FromOwner, &r.AuthorName, &r.Body, &created); err != nil {
		return nil, err
	}
	r.CreatedAt = unix(created)
	return &r, nil
}

// SupportReplies lists a request's replies, oldest first.
func (q Q) SupportReplies(ctx context.Context, requestID int64) ([]*model.SupportReply, error) {
	return collect(q, ctx, scanReply, `SELECT id, request_id, coalesce(contact_id, 0), from_owner, author_name, body, created_at
		FROM support_replies WHERE request_id = ? ORDER BY id`, requestID)
}

// UpdateSupportRequest writes a request's service, subject and body.
func (tx *Tx) UpdateSupportRequest(ctx context.Context, s *model.SupportRequest) error {
	return tx.execOne(ctx, fmt.Sprintf("update support request %d", s.ID), `UPDATE support_requests SET service_id = ?, subject = ?,
		body = ?, updated_at = ? WHERE id = ?`, nullID(s.ServiceID), s.Subject, s.Body, s.UpdatedAt.Unix(), s.ID)
}

// DeleteSupportRequest removes a request and its replies.
func (tx *Tx) DeleteSupportRequest(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete support request %d", id), `DELETE FROM support_requests WHERE id = ?`, id)
}
