package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"grantbook/backend/model"
)

// ContactIDs lists the ids of every contact f matches (Limit and Offset
// are ignored), in id order.
func (q Q) ContactIDs(ctx context.Context, f ContactFilter) ([]int64, error) {
	from, cond, args := contactWhere(f)
	rows, err := q.q.QueryContext(ctx, `SELECT c.id`+from+cond+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("contact ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("contact ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// LatestInvitations gives the latest invitation of each of the contacts
// that has one.
func (q Q) LatestInvitations(ctx context.Context, contactIDs []int64) (map[int64]*model.ContactInvitation, error) {
	out := map[int64]*model.ContactInvitation{}
	if len(contactIDs) == 0 {
		return out, nil
	}
	rows, err := q.q.QueryContext(ctx, `SELECT i.contact_id, i.id, i.state, i.expires_at, i.decided_at FROM invitations i
		WHERE i.id IN (SELECT max(id) FROM invitations WHERE contact_id IN (SELECT value FROM json_each(?)) GROUP BY contact_id)`,
		jsonIDs(contactIDs))
	if err != nil {
		return nil, fmt.Errorf("latest invitations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, expires int64
		var decided sql.NullInt64
		var inv model.ContactInvitation
		if err := rows.Scan(&cid, &inv.ID, &inv.State, &expires, &decided); err != nil {
			return nil, fmt.Errorf("latest invitations: %w", err)
		}
		inv.ExpiresAt, inv.DecidedAt = unix(expires), nullUnix(decided)
		out[cid] = &inv
	}
	return out, rows.Err()
}

// AccountContactsByEmail maps the email keys of an account's contacts to
// their ids.
func (q Q) AccountContactsByEmail(ctx context.Context, accountID int64) (map[string]int64, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT email_key, id FROM contacts WHERE account_id = ?`, accountID)
	if err != nil {
		return nil, fmt.Errorf("emails of account %d: %w", accountID, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var key string
		var id int64
		if err := rows.Scan(&key, &id); err != nil {
			return nil, fmt.Errorf("emails of account %d: %w", accountID, err)
		}
		out[key] = id
	}
	return out, rows.Err()
}

// jsonIDs is ids as a JSON array, for json_each.
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
