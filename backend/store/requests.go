package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
)

const requestCols = `r.id, r.account_id, r.contact_id, trim(c.first_name || ' ' || c.last_name), r.kind, r.item, r.adds, r.label,
	r.denial, r.note, r.source, r.state, r.reason, r.created_at, r.expires_at, r.decided_at, r.decided_by`

const requestFrom = ` FROM access_requests r JOIN contacts c ON c.id = r.contact_id`

func scanRequest(sc scanner) (*model.AccessRequest, error) {
	var r model.AccessRequest
	var adds string
	var created, expires int64
	var decided sql.NullInt64
	err := sc.Scan(&r.ID, &r.AccountID, &r.ContactID, &r.ContactName, &r.Kind, &r.Item, &adds, &r.Label,
		&r.Denial, &r.Note, &r.Source, &r.State, &r.Reason, &created, &expires, &decided, &r.DecidedBy)
	if err != nil {
		return nil, err
	}
	r.Adds = strings.Fields(adds)
	r.CreatedAt, r.ExpiresAt, r.DecidedAt = unix(created), unix(expires), nullUnix(decided)
	return &r, nil
}

// InsertAccessRequest stores a request; an open one for the same thing is
// ErrDuplicate.
func (tx *Tx) InsertAccessRequest(ctx context.Context, r *model.AccessRequest) (err error) {
	r.ID, err = tx.insert(ctx, "access request", `INSERT INTO access_requests (id, account_id, contact_id, kind, item, adds, label,
		denial, note, source, state, created_at, expires_at) VALUES (`+newID("access_requests")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.AccountID, r.ContactID, r.Kind, r.Item, strings.Join(r.Adds, " "), r.Label, r.Denial, r.Note, r.Source, r.State,
		r.CreatedAt.Unix(), r.ExpiresAt.Unix())
	return err
}

// OpenAccessRequest finds a contact's pending request for one thing.
func (q Q) OpenAccessRequest(ctx context.Context, contactID int64, kind, item string) (*model.AccessRequest, error) {
	return one(q, ctx, scanRequest, "access request", `SELECT `+requestCols+requestFrom+`
		WHERE r.contact_id = ? AND r.kind = ? AND r.item = ? AND r.state = 'pending'`, contactID, kind, item)
}

// SetRequestNote replaces a pending request's note (a repeated request).
func (tx *Tx) SetRequestNote(ctx context.Context, id int64, note string) error {
	return tx.execOne(ctx, fmt.Sprintf("access request %d", id), `UPDATE access_requests SET note = ? WHERE id = ?`, note, id)
}

// AccessRequest loads one request.
func (q Q) AccessRequest(ctx context.Context, id int64) (*model.AccessRequest, error) {
	return one(q, ctx, scanRequest, "access request", `SELECT `+requestCols+requestFrom+` WHERE r.id = ?`, id)
}

// RequestFilter narrows a request listing.
type RequestFilter struct {
	State     string
	ContactID int64
	AccountID int64
	Limit     int
	Offset    int
}

// AccessRequests lists requests newest first and counts all matches.
func (q Q) AccessRequests(ctx context.Context, f RequestFilter) ([]*model.AccessRequest, int, error) {
	cond, args := ` WHERE 1=1`, []any{}
	if f.State != "" {
		cond, args = cond+` AND r.state = ?`, append(args, f.State)
	}
	if f.ContactID != 0 {
		cond, args = cond+` AND r.contact_id = ?`, append(args, f.ContactID)
	}
	if f.AccountID != 0 {
		cond, args = cond+` AND r.account_id = ?`, append(args, f.AccountID)
	}
	var total int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*)`+requestFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count access requests: %w", err)
	}
	out, err := collect(q, ctx, scanRequest, `SELECT `+requestCols+requestFrom+cond+` ORDER BY r.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("access requests: %w", err)
	}
	return out, total, nil
}

// CountRequestsSince counts the requests a contact made since t.
func (q Q) CountRequestsSince(ctx context.Context, contactID int64, t time.Time) (int, error) {
	var n int
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM access_requests WHERE contact_id = ? AND created_at >= ?`,
		contactID, t.Unix()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count requests of contact %d: %w", contactID, err)
	}
	return n, nil
}

// DecideAccessRequest closes a pending request; false when it was not
// pending any more.
func (tx *Tx) DecideAccessRequest(ctx context.Context, id int64, state, reason, by string, now time.Time) (bool, error) {
	return tx.execIf(ctx, fmt.Sprintf("decide access request %d", id), `UPDATE access_requests SET state = ?, reason = ?,
		decided_by = ?, decided_at = ? WHERE id = ? AND state = 'pending'`, state, reason, by, now.Unix(), id)
}

// ExpiredAccessRequests lists pending requests past their expiry.
func (q Q) ExpiredAccessRequests(ctx context.Context, now time.Time) ([]*model.AccessRequest, error) {
	return collect(q, ctx, scanRequest, `SELECT `+requestCols+requestFrom+` WHERE r.state = 'pending' AND r.expires_at <= ?`, now.Unix())
}
