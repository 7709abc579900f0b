package changelog

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
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

// Apply applies another device's event. It is idempotent by (origin,
// epoch, seq): an event at or below the high-water mark changes nothing
// (false, nil); one past the next is ErrGap. An event that is malformed,
// from an unknown origin, badly signed, off the origin's chain, or that its
// origin may not make (rules.go) is *Rejected: recorded, never applied. A
// signed event refused by the rules still moves the high-water mark (the
// origin did send it; the ones after it must not wait for ever).
func (l *Log) Apply(ctx context.Context, e Event) (bool, error) {
	if e.Origin == l.origin {
		return false, nil // an echo of this device's own event
	}
	p, refused := l.vet(e)
	if refused != nil {
		if err := l.s.Tx(ctx, func(tx *store.Tx) error { return record(ctx, tx, e, refused.Reason) }); err != nil {
			return false, err
		}
		return false, refused
	}
	var applied bool
	err := l.s.ApplyTx(ctx, func(tx *store.Tx) error {
		var err error
		applied, refused, err = l.applyIn(ctx, tx, p, e)
		return err
	})
	if err != nil {
		return false, err
	}
	if refused != nil {
		return false, refused
	}
	return applied, nil
}

// ApplyAll applies a run of events in order in one transaction, as Apply
// would one by one (a catch-up after an outage costs one commit, not one
// per event). It returns how many it consumed — applied, replayed or
// refused (refusals are recorded, see Rejected) — and, when it stopped
// early, why: ErrGap or an error for evs[n], which was not consumed.
func (l *Log) ApplyAll(ctx context.Context, evs []Event) (n int, err error) {
	var stop error
	err = l.s.ApplyTx(ctx, func(tx *store.Tx) error {
		n, stop = 0, nil
		for _, e := range evs {
			if e.Origin != l.origin {
				p, refused := l.vet(e)
				if refused != nil {
					if err := record(ctx, tx, e, refused.Reason); err != nil {
						return err
					}
				} else if err := l.savepoint(ctx, tx, func() error {
					_, _, err := l.applyIn(ctx, tx, p, e)
					return err
				}); err != nil {
					stop = err
					return nil // commit what came before
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, stop
}

// savepoint runs fn so that its writes are undone if it fails, and only theirs.
func (l *Log) savepoint(ctx context.Context, tx *store.Tx, fn func() error) error {
	if _, err := tx.Exec(ctx, `SAVEPOINT apply_event`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		tx.Exec(ctx, `ROLLBACK TO apply_event`)
		tx.Exec(ctx, `RELEASE apply_event`)
		return err
	}
	_, err := tx.Exec(ctx, `RELEASE apply_event`)
	return err
}

// vet checks what needs no database: the event's form, its origin, its
// signature. It returns the origin's pinned peer, or why e is refused.
func (l *Log) vet(e Event) (peer, *Rejected) {
	if reason := malformed(e); reason != "" {
		return peer{}, &Rejected{Reason: reason}
	}
	p, ok := l.peer(e.Origin)
	if !ok {
		return peer{}, &Rejected{Reason: "unknown origin " + e.Origin}
	}
	if !ed25519.Verify(p.pub, e.canonical(), e.Sig) {
		return peer{}, &Rejected{Reason: "bad signature"}
	}
	return p, nil
}

// applyIn applies a vetted event inside tx: its place in the origin's
// chain, the rules, the write, the high-water mark.
func (l *Log) applyIn(ctx context.Context, tx *store.Tx, p peer, e Event) (applied bool, refused *Rejected, err error) {
	seq, hash, err := mark(ctx, tx, e.Origin, e.Epoch)
	if err != nil {
		return false, nil, err
	}
	switch {
	case e.Seq <= seq:
		return false, nil, nil // replay
	case e.Seq > seq+1:
		return false, nil, ErrGap
	case e.Prev != hash:
		// Signed but not the successor of what was applied: a forked
		// chain. Refused without moving on.
		refused = &Rejected{Reason: "predecessor hash does not match"}
		return false, refused, record(ctx, tx, e, refused.Reason)
	}
	reason := ""
	if l.clock.tooFarAhead(e.HLC) {
		reason = "clock more than an hour ahead"
	}
	t := tables[e.Entity]
	var old row
	if reason == "" {
		if old, err = readRow(ctx, tx, e.Entity, t, e.Key); err != nil {
			return false, nil, err
		}
		if p.role == Hub {
			reason = hubMay(e, old)
		}
	}
	if reason == "" {
		if reason, err = l.write(ctx, tx, t, e, old); err != nil {
			return false, nil, err
		}
	}
	if reason != "" {
		refused = &Rejected{Reason: reason}
		if err := record(ctx, tx, e, reason); err != nil {
			return false, nil, err
		}
	} else {
		if err := insertEvent(ctx, tx, e); err != nil {
			return false, nil, err
		}
		if l.role == Hub && p.role == Owner && verifiedTables[e.Entity] {
			if err := foldVerified(ctx, tx, e, nil); err != nil {
				return false, nil, err
			}
		}
		applied = true
	}
	l.clock.Observe(e.HLC)
	_, err = tx.Exec(ctx, `INSERT INTO change_applied (origin, epoch, seq, hash) VALUES (?, ?, ?, ?)
		ON CONFLICT (origin, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Origin, e.Epoch, e.Seq, e.Hash())
	return applied, refused, err
}

// malformed says what makes e unusable whatever its origin, or "".
func malformed(e Event) string {
	if len(e.Origin) != 32 {
		return "origin is not a device id"
	}
	if _, err := hex.DecodeString(e.Origin); err != nil {
		return "origin is not a device id"
	}
	if e.Seq == 0 || e.Seq > 1<<62 || e.Epoch <= 0 || e.HLC > 1<<63 {
		return "bad sequence, epoch or clock"
	}
	if e.Seq == 1 && e.Prev != "" || e.Seq > 1 && len(e.Prev) != 64 {
		return "bad predecessor hash"
	}
	t, ok := tables[e.Entity]
	if !ok {
		return "not a replicated table: " + e.Entity
	}
	if _, err := keyValues(t, e.Key); err != nil {
		return err.Error()
	}
	switch e.Op {
	case Delete:
		if len(e.Fields) > 0 {
			return "a delete with fields"
		}
	case Upsert:
		f, err := decodeRow(e.Fields)
		if err != nil {
			return err.Error()
		}
		if len(f) == 0 {
			return "an upsert without fields"
		}
		has := 0
		for _, c := range t.pk {
			if _, ok := f[c]; ok {
				has++
			}
		}
		if has > 0 {
			if k, ok := keyOf(t, f); !ok || k != e.Key {
				return "fields do not match the key"
			}
		}
	default:
		return "unknown op " + strconv.Quote(e.Op)
	}
	if len(e.Sig) != ed25519.SignatureSize {
		return "no signature"
	}
	return ""
}

// mark is the high-water mark of (origin, epoch) and the hash there.
func mark(ctx context.Context, tx *store.Tx, origin string, epoch int64) (uint64, string, error) {
	var seq uint64
	var hash string
	err := tx.QueryRow(ctx, `SELECT seq, hash FROM change_applied WHERE origin = ? AND epoch = ?`, origin, epoch).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

// keepRejected bounds the record: a peer sending garbage must not fill the disk.
const keepRejected = 1000

// maxRecorded bounds a recorded event: beyond it, its fields are left out.
const maxRecorded = 16 << 10

func record(ctx context.Context, tx *store.Tx, e Event, reason string) error {
	b, err := json.Marshal(e)
	if len(b) > maxRecorded { // kept for the owner to read, not to fill the disk
		e.Fields, e.Base, e.Key = nil, nil, ""
		b, err = json.Marshal(e)
	}
	if err != nil || len(b) > maxRecorded {
		b = []byte(`{}`)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO change_rejected (event, reason, at) VALUES (?, ?, ?)`, string(b), reason, time.Now().Unix()); err != nil {
		return fmt.Errorf("changelog: record rejected: %w", err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM change_rejected WHERE id <= (SELECT max(id) FROM change_rejected) - ?`, keepRejected)
	return err
}

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
	if _, err := tx.Exec(ctx, `UPDATE change_state SET applying = 1`); err != nil {
		return "", err
	}
	defer tx.Exec(ctx, `UPDATE change_state SET applying = 0`)
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
