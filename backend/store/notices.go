package store

import (
	"context"
	"fmt"
	"strings"

	"grantbook/backend/model"
)

// InsertNotice stores a notice and sets its ID; recipients are added with
// AddNoticeRecipient.
func (tx *Tx) InsertNotice(ctx context.Context, n *model.Notice) (err error) {
	n.ID, err = tx.insert(ctx, "notice", `INSERT INTO notices (account_id, service_id, kind, audience, subject, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.AccountID, nullID(n.ServiceID), n.Kind, n.Audience, n.Subject, n.Body, n.CreatedAt.Unix())
	return err
}

// AddNoticeRecipient records one copy of a notice; outboxID 0 means it
// was not mailed.
func (tx *Tx) AddNoticeRecipient(ctx context.Context, noticeID int64, r model.NoticeRecipient, outboxID int64) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO notice_recipients (notice_id, email_key, email, name, contact_id, outbox_id)
		VALUES (?, ?, ?, ?, ?, ?)`, noticeID, EmailKey(r.Email), r.Email, r.Name, nullID(r.ContactID), nullID(outboxID))
	if err != nil {
		return fmt.Errorf("notice recipient: %w", err)
	}
	return nil
}

// Notices lists an account's notices, newest first, with recipients and
// the outbox state of each copy; audience "" means both.
func (q Q) Notices(ctx context.Context, accountID int64, audience string, limit, offset int) ([]*model.Notice, int, error) {
	cond, args := `account_id = ?`, []any{accountID}
	if audience != "" {
		cond, args = cond+` AND audience = ?`, append(args, audience)
	}
	var total int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count notices: %w", err)
	}
	out, err := collect(q, ctx, func(sc scanner) (*model.Notice, error) {
		var n model.Notice
		var created int64
		if err := sc.Scan(&n.ID, &n.AccountID, &n.ServiceID, &n.Kind, &n.Audience, &n.Subject, &n.Body, &created); err != nil {
			return nil, err
		}
		n.CreatedAt, n.Recipients = unix(created), []model.NoticeRecipient{}
		return &n, nil
	}, `SELECT id, account_id, coalesce(service_id, 0), kind, audience, subject, body, created_at FROM notices
		WHERE `+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil || len(out) == 0 {
		return out, total, err
	}
	byID, ids := map[int64]*model.Notice{}, []any{}
	for _, n := range out {
		byID[n.ID], ids = n, append(ids, n.ID)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT r.notice_id, r.name, r.email, coalesce(r.contact_id, 0), coalesce(o.state, 'unsent')
		FROM notice_recipients r LEFT JOIN outbox o ON o.id = r.outbox_id
		WHERE r.notice_id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY r.notice_id, r.name, r.email_key`, ids...)
	if err != nil {
		return nil, 0, fmt.Errorf("notice recipients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r model.NoticeRecipient
		if err := rows.Scan(&id, &r.Name, &r.Email, &r.ContactID, &r.State); err != nil {
			return nil, 0, fmt.Errorf("notice recipients: %w", err)
		}
		byID[id].Recipients = append(byID[id].Recipients, r)
	}
	return out, total, rows.Err()
}
