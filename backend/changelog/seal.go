package changelog

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"grantbook/backend/store"
)

// pending is the unsigned change_log rows of one transaction, merged per row.
type pending struct {
	entity, key, op string
	fields          map[string]json.RawMessage
}

// seal runs in every write transaction just before it commits (store.Tx):
// it turns the rows the triggers wrote into numbered, clocked, chained and
// signed events, one per changed row.
func (l *Log) seal(ctx context.Context, tx *store.Tx) (bool, error) {
	ps, err := takePending(ctx, tx)
	if err != nil || len(ps) == 0 {
		return false, err
	}
	epoch, seq, prev, err := l.head(ctx, tx)
	if err != nil {
		return false, err
	}
	wrote := false
	for _, p := range ps {
		if p.op == Upsert && len(p.fields) == 0 {
			continue // an UPDATE that changed nothing
		}
		seq++
		e := Event{Origin: l.origin, Epoch: epoch, Seq: seq, HLC: l.clock.Now(), Entity: p.entity, Key: p.key, Op: p.op, Prev: prev}
		if p.op == Upsert {
			if e.Fields, err = json.Marshal(p.fields); err != nil {
				return false, fmt.Errorf("changelog: seal: %w", err)
			}
			if e.Base, err = bases(ctx, tx, l.origin, p); err != nil {
				return false, err
			}
		}
		if l.role == Hub && verifiedTables[e.Entity] {
			// The hub's own change to access rows counts only if it reduces
			// access; any other (an edit behind the log's back) stays unverified.
			if old, err := verifiedRow(ctx, tx, e.Entity, e.Key); err != nil {
				return false, err
			} else if reason := hubMay(e, old); reason == "" {
				if err := foldVerified(ctx, tx, e, old); err != nil {
					return false, err
				}
			}
		}
		e.Sig = ed25519.Sign(l.key, e.canonical())
		if err := insertEvent(ctx, tx, e, e.Hash()); err != nil {
			return false, err
		}
		if err := stampFields(ctx, tx, e); err != nil {
			return false, err
		}
		prev = e.Hash()
		wrote = true
	}
	return wrote, nil
}

// takePending reads and removes the unsigned rows, merged per table row
// in the order each row first changed.
func takePending(ctx context.Context, tx *store.Tx) ([]*pending, error) {
	rows, err := tx.Query(ctx, `DELETE FROM change_log WHERE seq IS NULL RETURNING id, entity, key, op, fields`)
	if err != nil {
		return nil, fmt.Errorf("changelog: seal: %w", err)
	}
	type raw struct {
		id              int64
		entity, key, op string
		fields          sql.NullString
	}
	var all []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.id, &r.entity, &r.key, &r.op, &r.fields); err != nil {
			rows.Close()
			return nil, fmt.Errorf("changelog: seal: %w", err)
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changelog: seal: %w", err)
	}
	slices.SortFunc(all, func(a, b raw) int { return cmp.Compare(a.id, b.id) }) // RETURNING's order is SQLite's choice
	var out []*pending
	at := map[[2]string]*pending{}
	for _, r := range all {
		p := at[[2]string{r.entity, r.key}]
		if p == nil {
			p = &pending{entity: r.entity, key: r.key, op: r.op, fields: map[string]json.RawMessage{}}
			at[[2]string{r.entity, r.key}] = p
			out = append(out, p)
		}
		if r.op == Delete {
			p.op, p.fields = Delete, map[string]json.RawMessage{}
			continue
		}
		if p.op == Delete { // deleted, then made again: the insert's whole row
			p.op = Upsert
		}
		var f map[string]json.RawMessage
		if r.fields.Valid {
			if err := json.Unmarshal([]byte(r.fields.String), &f); err != nil {
				return nil, fmt.Errorf("changelog: seal %s %s: %w", r.entity, r.key, err)
			}
		}
		for k, v := range f {
			p.fields[k] = v
		}
	}
	return out, nil
}

// head is this device's epoch and its last event there: number and hash.
func (l *Log) head(ctx context.Context, tx *store.Tx) (epoch int64, seq uint64, hash string, err error) {
	err = tx.QueryRow(ctx, `SELECT s.epoch, coalesce(h.seq, 0), coalesce(h.hash, '') FROM change_state s
		LEFT JOIN (SELECT seq, hash FROM change_log WHERE origin = ? AND epoch = (SELECT epoch FROM change_state) AND seq IS NOT NULL
			ORDER BY seq DESC LIMIT 1) h`, l.origin).Scan(&epoch, &seq, &hash)
	if err != nil {
		return 0, 0, "", fmt.Errorf("changelog: head: %w", err)
	}
	return epoch, seq, hash, nil
}

// bases are the clocks of the other devices' writes that p's fields replace.
func bases(ctx context.Context, tx *store.Tx, self string, p *pending) (map[string]uint64, error) {
	rows, err := tx.Query(ctx, `SELECT field, hlc FROM change_fields WHERE entity = ? AND key = ? AND origin <> ?`, p.entity, p.key, self)
	if err != nil {
		return nil, fmt.Errorf("changelog: seal: %w", err)
	}
	defer rows.Close()
	var out map[string]uint64
	for rows.Next() {
		var f string
		var h uint64
		if err := rows.Scan(&f, &h); err != nil {
			return nil, fmt.Errorf("changelog: seal: %w", err)
		}
		if _, ok := p.fields[f]; ok {
			if out == nil {
				out = map[string]uint64{}
			}
			out[f] = h
		}
	}
	return out, rows.Err()
}

// insertEvent keeps e in the log under hash, e.Hash() (applying has it from the signature check).
func insertEvent(ctx context.Context, tx *store.Tx, e Event, hash string) error {
	var fields, base any
	if e.Fields != nil {
		fields = string(e.Fields)
	}
	if len(e.Base) > 0 {
		b, err := json.Marshal(e.Base)
		if err != nil {
			return err
		}
		base = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO change_log (origin, epoch, seq, hlc, entity, key, op, fields, base, prev, hash, sig)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Origin, e.Epoch, e.Seq, e.HLC, e.Entity, e.Key, e.Op, fields, base, e.Prev, hash, e.Sig)
	if err != nil {
		return fmt.Errorf("changelog: log %s %s: %w", e.Entity, e.Key, err)
	}
	return nil
}

// stampFields records who wrote each field of e, and when (the
// last-writer-wins clocks); a delete forgets the row's.
func stampFields(ctx context.Context, tx *store.Tx, e Event) error {
	if e.Op == Delete {
		_, err := tx.Exec(ctx, `DELETE FROM change_fields WHERE entity = ? AND key = ?`, e.Entity, e.Key)
		return err
	}
	// One statement for all the fields ("WHERE true": SQLite's upsert after a SELECT needs it).
	_, err := tx.Exec(ctx, `INSERT INTO change_fields (entity, key, field, hlc, origin)
		SELECT ?, ?, j.key, ?, ? FROM json_each(?) j WHERE true
		ON CONFLICT (entity, key, field) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin`,
		e.Entity, e.Key, e.HLC, e.Origin, string(e.Fields))
	if err != nil {
		return fmt.Errorf("changelog: field clocks: %w", err)
	}
	return nil
}
