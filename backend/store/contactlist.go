package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"grantbook/backend/model"
)

// ContactFilter narrows a contact listing. Zero fields match everything.
type ContactFilter struct {
	AccountID int64
	Query     string // name, email or company, case-insensitive substring
	Preset    string
	Status    string // active, expired, invited, suspended
	Now       time.Time
	Limit     int
	Offset    int
	// After continues a listing after this contact (keyset paging: a deep
	// page costs what the first does); Offset then counts from there.
	After *SortKey
	// Counted says Total is exactly how many contacts the filter matches
	// (its query, paging and After aside) as a page reads them: a page
	// nearer the end is then read from the end, stepping over fewer
	// entries. Ignored for a search and after a cursor.
	Counted bool
	Total   int
}

// SortKey is a contact's place in list order: last name, first name (both
// ignoring ASCII case) and id.
type SortKey struct {
	Last, First string
	ID          int64
}

// Before reports whether k sorts before o in list order.
func (k SortKey) Before(o SortKey) bool { return listBefore(k, o) }

// ContactCount is how many contacts a filter matches, and the time (unix
// seconds, 0: none) at which that may change without a write: the next
// expiry, for the filters on active or expired. A search counts up to
// SearchCountCap matches: Capped says there are more.
type ContactCount struct {
	N         int
	ChangesAt int64
	Capped    bool
	// At is the time (unix seconds) the filters on active or expired were
	// counted at: the count holds from then until ChangesAt.
	At int64
}

const listOrder = ` ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id`

// listOrderDesc is listOrder backwards: the sort key is unique (it ends
// with the id), so its order is exactly listOrder's reversed.
const listOrderDesc = ` ORDER BY c.last_name COLLATE NOCASE DESC, c.first_name COLLATE NOCASE DESC, c.id DESC`

// contactWhere is the FROM and WHERE of a listing, its query aside
// (search.go). Grants are joined only
// when filtered on: every contact has exactly one grant row, and without
// the join SQLite counts and pages from the name-order indexes. So a
// listing without a preset, expiry or query depends on the contacts' rows
// alone (list_changes, migration 22).
func contactWhere(f ContactFilter, timed bool) (from, cond string, args []any) {
	var where []string
	if f.AccountID != 0 {
		where, args = append(where, "c.account_id = ?"), append(args, f.AccountID)
	}
	if f.Preset != "" {
		where, args = append(where, "g.preset = ?"), append(args, f.Preset)
	}
	switch f.Status {
	case "":
	case model.StatusExpired, model.StatusActive:
		where = append(where, "c.status = 'active'")
		if timed {
			c, targs := expiryCond(f)
			where, args = append(where, c), append(args, targs...)
		}
	default:
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	from = ` FROM contacts c`
	if f.Preset != "" || f.Status == model.StatusExpired || f.Status == model.StatusActive {
		from = contactFrom
	}
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	return from, cond, args
}

// expiryCond is the part of the active and expired filters that time moves.
func expiryCond(f ContactFilter) (string, []any) {
	if f.Status == model.StatusExpired {
		return "g.expires_at IS NOT NULL AND g.expires_at <= ?", []any{f.Now.Unix()}
	}
	return "(g.expires_at IS NULL OR g.expires_at > ?)", []any{f.Now.Unix()}
}

// CountContacts counts the contacts f matches (its paging aside).
func (q Q) CountContacts(ctx context.Context, f ContactFilter) (ContactCount, error) {
	var n ContactCount
	if s, ok := newSearch(f.Query); ok {
		c, err := q.countSearch(ctx, f, s)
		if err != nil {
			return n, fmt.Errorf("count contacts: %w", err)
		}
		n.N, n.Capped = min(c, SearchCountCap), c > SearchCountCap
		if f.Status == model.StatusActive || f.Status == model.StatusExpired {
			n.ChangesAt = f.Now.Unix() + 1 // an expiry may pass at any time: kept for this second only
		}
		return n, nil
	}
	if f.Status != model.StatusActive && f.Status != model.StatusExpired {
		from, cond, args := contactWhere(f, true)
		err := q.q.QueryRowContext(ctx, `SELECT count(*)`+from+cond, args...).Scan(&n.N)
		if err != nil {
			return n, fmt.Errorf("count contacts: %w", err)
		}
		return n, nil
	}
	// One pass: the count, and the next expiry among the same contacts.
	n.At = f.Now.Unix()
	from, cond, args := contactWhere(f, false)
	timed, targs := expiryCond(f)
	err := q.q.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+timed+`), coalesce(min(g.expires_at) FILTER (WHERE g.expires_at > ?), 0)`+
		from+cond, append(append(targs, f.Now.Unix()), args...)...).Scan(&n.N, &n.ChangesAt)
	if err != nil {
		return n, fmt.Errorf("count contacts: %w", err)
	}
	return n, nil
}

// ContactsPage lists a page of contacts in name order, and the sort key
// to continue after it (nil on the last page).
func (q Q) ContactsPage(ctx context.Context, f ContactFilter) ([]*model.Contact, *SortKey, error) {
	// First the page's ids, walking the name-order index; then only those
	// rows. A deep page skips index entries, not whole joined rows.
	ids, more, err := q.PageIDs(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	cs, err := q.ContactsByID(ctx, ids)
	if err != nil || !more || len(cs) == 0 {
		return cs, nil, err
	}
	return cs, PageEnd(cs[len(cs)-1]), nil
}

// PageEnd is the sort key a page that ends with c continues after.
func PageEnd(c *model.Contact) *SortKey {
	return &SortKey{Last: c.LastName, First: c.FirstName, ID: c.ID}
}

// PageIDs are the ids of a page of contacts in name order, and whether
// more follow it.
func (q Q) PageIDs(ctx context.Context, f ContactFilter) ([]int64, bool, error) {
	var ids []int64
	var err error
	if s, ok := newSearch(f.Query); ok {
		ids, err = q.searchIDs(ctx, f, s)
	} else {
		ids, err = q.listIDs(ctx, f)
	}
	if err != nil {
		return nil, false, fmt.Errorf("contacts: %w", err)
	}
	more := len(ids) > f.Limit
	if more {
		ids = ids[:f.Limit]
	}
	return ids, more, nil
}

// listIDs are the ids of a listing's page and of the contact after it, if
// any. SQLite steps over the index entries before an offset one by one:
// when the total is known and fewer entries follow the page than precede
// it, the page is read from the end and turned round.
func (q Q) listIDs(ctx context.Context, f ContactFilter) ([]int64, error) {
	from, cond, args := contactWhere(f, true)
	if f.After != nil {
		cond = andWhere(cond, afterCond)
		args = append(args, f.After.Last, f.After.First, f.After.ID)
	} else if f.Counted {
		if f.Offset >= f.Total {
			return nil, nil
		}
		end := min(f.Offset+f.Limit+1, f.Total) // the page and the one after it
		if rest := f.Total - end; rest < f.Offset {
			ids, err := collectIDs(q, ctx, `SELECT c.id`+from+cond+listOrderDesc+` LIMIT ? OFFSET ?`, append(args, end-f.Offset, rest)...)
			slices.Reverse(ids)
			return ids, err
		}
	}
	return collectIDs(q, ctx, `SELECT c.id`+from+cond+listOrder+` LIMIT ? OFFSET ?`, append(args, f.Limit+1, f.Offset)...)
}

// ListMarks are the sort keys of every every-th contact of a listing (its
// query, paging and After aside), in list order: mark i is the contact at
// offset (i+1)*every-1, so a page at offset o continues after mark
// o/every-1 at offset o%every.
//
// SQLite steps over index entries cheaply (about 20 ns each) only within a
// range of one column: after a cursor (afterCond) it also compares each
// entry, ten times the cost. So each mark is found from the start of its
// predecessor's last-name group (whose offset is known: the entries
// between two groups are counted the same cheap way), and from the
// predecessor itself only inside a group much larger than every.
func (q Q) ListMarks(ctx context.Context, f ContactFilter, every int) ([]SortKey, error) {
	from, cond, args := contactWhere(f, true)
	cols := `SELECT c.last_name, c.first_name, c.id` + from
	with := func(more ...any) []any { return append(slices.Clip(args), more...) }
	var marks []SortKey
	group, start := "", 0 // the latest mark's last name, and the offset its group starts at
	for at := every - 1; ; at += every {
		query, qargs := cols+cond+listOrder+` LIMIT 1 OFFSET ?`, with(at)
		if n := len(marks); n > 0 && at-start <= 8*every {
			query, qargs = cols+andWhere(cond, `c.last_name >= ? COLLATE NOCASE`)+listOrder+` LIMIT 1 OFFSET ?`, with(group, at-start)
		} else if n > 0 {
			m := marks[n-1]
			query, qargs = cols+andWhere(cond, afterCond)+listOrder+` LIMIT 1 OFFSET ?`, with(m.Last, m.First, m.ID, every-1)
		}
		var k SortKey
		err := q.q.QueryRowContext(ctx, query, qargs...).Scan(&k.Last, &k.First, &k.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return marks, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list marks: %w", err)
		}
		if n := len(marks); n > 0 && !listBefore(marks[n-1], k) {
			return marks, nil // a write came between two reads: the caller will not use these
		}
		between, bargs := `c.last_name < ? COLLATE NOCASE`, with(k.Last)
		if len(marks) > 0 {
			between, bargs = `c.last_name >= ? COLLATE NOCASE AND c.last_name < ? COLLATE NOCASE`, with(group, k.Last)
		}
		var n int
		if err := q.q.QueryRowContext(ctx, `SELECT count(*)`+from+andWhere(cond, between), bargs...).Scan(&n); err != nil {
			return nil, fmt.Errorf("list marks: %w", err)
		}
		marks, group, start = append(marks, k), k.Last, start+n
	}
}

// Contacts lists contacts by name and counts all matches.
func (q Q) Contacts(ctx context.Context, f ContactFilter) ([]*model.Contact, int, error) {
	n, err := q.CountContacts(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	cs, _, err := q.ContactsPage(ctx, f)
	return cs, n.N, err
}

// ContactsByID loads contacts in list order (those that exist).
func (q Q) ContactsByID(ctx context.Context, ids []int64) ([]*model.Contact, error) {
	if len(ids) == 0 {
		return []*model.Contact{}, nil
	}
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+
		` WHERE c.id IN (SELECT value FROM json_each(?))`+listOrder, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	return cs, q.loadServices(ctx, cs)
}

func collectIDs(q Q, ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func andWhere(cond, more string) string {
	if cond == "" {
		return " WHERE " + more
	}
	return cond + " AND " + more
}
