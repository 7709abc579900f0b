package store

import (
	"context"
	"database/sql"
	"fmt"

	"grantbook/backend/model"
)

// ContactIDs lists the ids of every contact f matches (Limit, Offset and
// After are ignored), in id order. Its search is the exact LIKE the
// trigram index only narrows: a bulk action reads each match once anyway.
func (q Q) ContactIDs(ctx context.Context, f ContactFilter) ([]int64, error) {
	from, cond, args := contactWhere(f, true)
	if s, ok := newSearch(f.Query); ok {
		cond, args = andWhere(cond, `c.search_key LIKE ? ESCAPE '\'`), append(args, s.like)
	}
	ids, err := collectIDs(q, ctx, `SELECT c.id`+from+cond+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("contact ids: %w", err)
	}
	return ids, nil
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
		idList(contactIDs))
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
