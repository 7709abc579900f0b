package changelog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"grantbook/backend/store"
)

// querier is a store.Tx or store.Store's reads.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// readRow is a row of a replicated table as JSON values, nil when absent.
func readRow(ctx context.Context, q querier, entity string, t table, key string) (row, error) {
	keys, err := keyValues(t, key)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT * FROM `+ident(entity)+` WHERE `+pkWhere(t), keys...)
	if err != nil {
		return nil, fmt.Errorf("changelog: read %s %s: %w", entity, key, err)
	}
	all, err := scanRows(rows)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

func scanRows(rows *sql.Rows) ([]row, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		r := make(row, len(cols))
		for i, c := range cols {
			switch v := vals[i].(type) {
			case int64:
				r[c] = json.Number(strconv.FormatInt(v, 10))
			case float64:
				r[c] = json.Number(strconv.FormatFloat(v, 'g', -1, 64))
			case []byte:
				r[c] = string(v)
			default:
				r[c] = v
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// write makes e's change to the table, field by field last-writer-wins by
// clock, and records the fields both sides changed at once. A reason is
// returned for a change the table will not take.
func (l *Log) write(ctx context.Context, tx *store.Tx, t table, e Event, old row) (string, error) {
	// The triggers' capture is paused around the whole transaction (applying).
	keys, _ := keyValues(t, e.Key)
	if e.Op == Delete {
		_, err := tx.Exec(ctx, `DELETE FROM `+ident(e.Entity)+` WHERE `+pkWhere(t), keys...)
		if err == nil {
			err = stampFields(ctx, tx, e)
		}
		return "", err
	}
	f, _ := decodeRow(e.Fields)
	cols, err := l.columns(ctx, tx, e.Entity)
	if err != nil {
		return "", err
	}
	for k := range f {
		if !cols[k] {
			return "no such field: " + e.Entity + "." + k, nil
		}
	}
	if old != nil {
		won, err := l.lastWriter(ctx, tx, e, f, old)
		if err != nil || len(won) == 0 {
			return "", err
		}
		set := make([]string, 0, len(won))
		args := make([]any, 0, len(won)+len(keys))
		for _, k := range sortedKeys(won) {
			v, err := sqlValue(won[k])
			if err != nil {
				return err.Error(), nil
			}
			set = append(set, ident(k)+" = ?")
			args = append(args, v)
		}
		_, err = tx.Exec(ctx, `UPDATE `+ident(e.Entity)+` SET `+strings.Join(set, ", ")+` WHERE `+pkWhere(t), append(args, keys...)...)
		if err != nil {
			return constraint(err)
		}
		return "", stampRow(ctx, tx, e, won)
	}
	for i, c := range t.pk { // the key's columns, when the fields leave them out
		if _, ok := f[c]; !ok {
			f[c] = json.Number(fmt.Sprint(keys[i]))
		}
	}
	names := make([]string, 0, len(f))
	marks := make([]string, 0, len(f))
	args := make([]any, 0, len(f))
	for _, k := range sortedKeys(f) {
		v, err := sqlValue(f[k])
		if err != nil {
			return err.Error(), nil
		}
		names, marks, args = append(names, ident(k)), append(marks, "?"), append(args, v)
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+ident(e.Entity)+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, args...)
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintNotNull {
		return "", nil // a change to a row deleted here: the delete stands
	}
	if err != nil {
		return constraint(err)
	}
	return "", stampRow(ctx, tx, e, f)
}

// constraint turns a constraint failure into a reason (the event can never
// apply), other errors stay errors (try again).
func constraint(err error) (string, error) {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint {
		return "cannot apply: " + se.Error(), nil
	}
	return "", err
}

// lastWriter keeps the fields of f whose clock is newer than the local
// write of the same field, and records a conflict where this device had
// changed the field without having seen the other's value.
func (l *Log) lastWriter(ctx context.Context, tx *store.Tx, e Event, f, old row) (row, error) {
	type clock struct {
		hlc    uint64
		origin string
	}
	local := map[string]clock{}
	rows, err := tx.Query(ctx, `SELECT field, hlc, origin FROM change_fields WHERE entity = ? AND key = ?`, e.Entity, e.Key)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k string
		var c clock
		if err := rows.Scan(&k, &c.hlc, &c.origin); err != nil {
			rows.Close()
			return nil, err
		}
		local[k] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	won := row{}
	for _, k := range sortedKeys(f) {
		c, ok := local[k]
		if !ok {
			won[k] = f[k]
			continue
		}
		remoteWins := e.HLC > c.hlc || (e.HLC == c.hlc && e.Origin > c.origin)
		if c.origin == l.origin && e.Base[k] != c.hlc && !same(f[k], old[k]) {
			winner := l.origin
			if remoteWins {
				winner = e.Origin
			}
			if _, err := tx.Exec(ctx, `INSERT INTO change_conflicts (entity, key, field, local, remote, winner, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				e.Entity, e.Key, k, str(old[k]), str(f[k]), winner, time.Now().Unix()); err != nil {
				return nil, err
			}
		}
		if remoteWins {
			won[k] = f[k]
		}
	}
	return won, nil
}

func stampRow(ctx context.Context, tx *store.Tx, e Event, written row) error {
	b, err := json.Marshal(written)
	if err != nil {
		return err
	}
	e.Fields = b
	return stampFields(ctx, tx, e)
}

func sortedKeys(r row) []string {
	out := make([]string, 0, len(r))
	for k := range r {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// columns are a replicated table's stored columns, read once.
func (l *Log) columns(ctx context.Context, tx *store.Tx, entity string) (map[string]bool, error) {
	l.mu.Lock()
	c := l.cols[entity]
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	rows, err := tx.Query(ctx, `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`, entity)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c = map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		c[n] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.cols[entity] = c
	l.mu.Unlock()
	return c, nil
}
