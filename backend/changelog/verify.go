package changelog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"grantbook/backend/store"
)

// The hub computes access only from verified owner events: it keeps the
// contacts, grants and grant_services rows as the owner's events (and its
// own reductions) left them (change_verified), and Verify refuses a
// contact whose live rows say anything else — a grant edited by SQL on the
// hub grants nothing.

// ErrUnverified is Verify's answer for rows no verified event accounts for.
var ErrUnverified = errors.New("changelog: access rows differ from the owner's verified events")

func verifiedRow(ctx context.Context, tx querier, entity, key string) (row, error) {
	var b string
	err := tx.QueryRow(ctx, `SELECT fields FROM change_verified WHERE entity = ? AND key = ?`, entity, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("changelog: verified %s %s: %w", entity, key, err)
	}
	return decodeRow([]byte(b))
}

// foldVerified applies e to the verified state (old: its row there, read
// when nil).
func foldVerified(ctx context.Context, tx *store.Tx, e Event, old row) error {
	if e.Op == Delete {
		_, err := tx.Exec(ctx, `DELETE FROM change_verified WHERE entity = ? AND key = ?`, e.Entity, e.Key)
		return err
	}
	if old == nil {
		var err error
		if old, err = verifiedRow(ctx, tx, e.Entity, e.Key); err != nil {
			return err
		}
	}
	f, err := decodeRow(e.Fields)
	if err != nil {
		return err
	}
	merged := row{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range f {
		merged[k] = v
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO change_verified (entity, key, fields) VALUES (?, ?, ?)
		ON CONFLICT (entity, key) DO UPDATE SET fields = excluded.fields`, e.Entity, e.Key, string(b))
	return err
}

// accessColumns are the columns of a contact's row that access depends on
// (who signs in, for which account, whether suspended); grants and
// grant_services rows are compared whole.
var accessColumns = []string{"id", "account_id", "email_key", "status"}

// Verify reports whether contact id's live access rows are exactly what
// verified events left (ErrUnverified when not). Only a hub needs it; on
// an owner's device every row is the owner's own and Verify is nil.
func (l *Log) Verify(ctx context.Context, contactID int64) error {
	if l.role != Hub {
		return nil
	}
	tx := l.s // reads only
	{
		key := strconv.FormatInt(contactID, 10)
		for _, entity := range []string{"contacts", "grants"} {
			live, err := readRow(ctx, tx, entity, tables[entity], key)
			if err != nil {
				return err
			}
			if live == nil {
				continue // no row: no access to check
			}
			want, err := verifiedRow(ctx, tx, entity, key)
			if err != nil {
				return err
			}
			cols := accessColumns
			if entity == "grants" {
				cols = sortedKeys(live)
			}
			if want == nil {
				return fmt.Errorf("%w: %s %s", ErrUnverified, entity, key)
			}
			for _, c := range cols {
				if !same(live[c], want[c]) {
					return fmt.Errorf("%w: %s %s.%s", ErrUnverified, entity, key, c)
				}
			}
		}
		rows, err := tx.Query(ctx, `SELECT g.service_id, v.entity IS NOT NULL FROM grant_services g
			LEFT JOIN change_verified v ON v.entity = 'grant_services' AND v.key = json_array(g.contact_id, g.service_id)
			WHERE g.contact_id = ?`, contactID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sid int64
			var ok bool
			if err := rows.Scan(&sid, &ok); err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: grant_services %d/%d", ErrUnverified, contactID, sid)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// The account's services (a grant of all of them covers a new one)
		// and every admin site and area.
		svcs, err := tx.Query(ctx, `SELECT s.* FROM services s JOIN contacts c ON c.account_id = s.account_id WHERE c.id = ?`, contactID)
		if err != nil {
			return err
		}
		if err := allVerified(ctx, tx, "services", svcs); err != nil {
			return err
		}
		for _, entity := range []string{"sites", "site_areas"} {
			rs, err := tx.Query(ctx, `SELECT * FROM `+entity)
			if err != nil {
				return err
			}
			if err := allVerified(ctx, tx, entity, rs); err != nil {
				return err
			}
		}
		return nil
	}
}

// allVerified checks that every row of rows is its verified row, whole.
func allVerified(ctx context.Context, q querier, entity string, rows *sql.Rows) error {
	live, err := scanRows(rows)
	if err != nil {
		return err
	}
	for _, r := range live {
		key, _ := keyOf(tables[entity], r)
		want, err := verifiedRow(ctx, q, entity, key)
		if err != nil {
			return err
		}
		if want == nil {
			return fmt.Errorf("%w: %s %s", ErrUnverified, entity, key)
		}
		for c, v := range r {
			if !same(v, want[c]) {
				return fmt.Errorf("%w: %s %s.%s", ErrUnverified, entity, key, c)
			}
		}
	}
	return nil
}
