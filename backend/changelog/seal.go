package changelog

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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
	ps, err := readPending(ctx, tx)
	if err != nil || len(ps) == 0 {
		return false, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM change_log WHERE seq IS NULL`); err != nil {
		return false, fmt.Errorf("changelog: seal: %w", err)
	}
	var epoch int64
	if err := tx.QueryRow(ctx, `SELECT epoch FROM change_state`).Scan(&epoch); err != nil {
		return false, fmt.Errorf("changelog: seal: %w", err)
	}
	seq, prev, err := l.head(ctx, tx, epoch)
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
		if err := insertEvent(ctx, tx, e); err != nil {
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

func readPending(ctx context.Context, tx *store.Tx) ([]*pending, error) {
	rows, err := tx.Query(ctx, `SELECT entity, key, op, fields FROM change_log WHERE seq IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("changelog: seal: %w", err)
	}
	defer rows.Close()
	var out []*pending
	at := map[[2]string]*pending{}
	for rows.Next() {
		var entity, key, op string
		var fields sql.NullString
		if err := rows.Scan(&entity, &key, &op, &fields); err != nil {
			return nil, fmt.Errorf("changelog: seal: %w", err)
		}
		p := at[[2]string{entity, key}]
		if p == nil {
			p = &pending{entity: entity, key: key, op: op, fields: map[string]json.RawMessage{}}
			at[[2]string{entity, key}] = p
			out = append(out, p)
		}
		if op == Delete {
			p.op, p.fields = Delete, map[string]json.RawMessage{}
			continue
		}
		if p.op == Delete { // deleted, then made again: the insert's whole row
			p.op = Upsert
		}
		var f map[string]json.RawMessage
		if fields.Valid {
			if err := json.Unmarshal([]byte(fields.String), &f); err != nil {
				return nil, fmt.Errorf("changelog: seal %s %s: %w", entity, key, err)
			}
		}
		for k, v := range f {
			p.fields[k] = v
		}
	}
	return out, rows.Err()
}

// head is this device's last event in its epoch: its number and hash.
func (l *Log) head(ctx context.Context, tx *store.Tx, epoch int64) (uint64, string, error) {
	var seq uint64
	var hash string
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM change_log WHERE origin = ? AND epoch = ? AND seq IS NOT NULL
		ORDER BY seq DESC LIMIT 1`, l.origin, epoch).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("changelog: head: %w", err)
	}
	return seq, hash, nil
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

func insertEvent(ctx context.Context, tx *store.Tx, e Event) error {
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
		e.Origin, e.Epoch, e.Seq, e.HLC, e.Entity, e.Key, e.Op, fields, base, e.Prev, e.Hash(), e.Sig)
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
