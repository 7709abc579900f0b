package changelog

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

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
	v, refused := l.vet(e)
	if refused != nil {
		if err := l.s.Tx(ctx, func(tx *store.Tx) error { return record(ctx, tx, e, refused.Reason) }); err != nil {
			return false, err
		}
		return false, refused
	}
	var applied bool
	err := l.s.ApplyTx(ctx, func(tx *store.Tx) error {
		return applying(ctx, tx, func(ms marks) error {
			var err error
			var at markAt
			applied, refused, at, err = l.applyIn(ctx, tx, v, e, ms)
			if err == nil {
				ms.moved(e, at)
			}
			return err
		})
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
// refused (refusals are recorded, see Rejected; refused[i] is evs[i]'s, nil
// when it was not refused) — and, when it stopped early, why: ErrGap or an
// error for evs[n], which was not consumed. On an error of the transaction
// itself nothing was consumed (0).
func (l *Log) ApplyAll(ctx context.Context, evs []Event) (n int, refused []*Rejected, err error) {
	var stop error
	err = l.s.ApplyTx(ctx, func(tx *store.Tx) error {
		n, stop, refused = 0, nil, make([]*Rejected, 0, len(evs))
		return applying(ctx, tx, func(ms marks) error {
			for _, e := range evs {
				var why *Rejected
				if e.Origin != l.origin {
					v, vetoed := l.vet(e)
					if vetoed != nil {
						if err := record(ctx, tx, e, vetoed.Reason); err != nil {
							return err
						}
						why = vetoed
					} else {
						var at markAt
						if err := l.savepoint(ctx, tx, func() error {
							var err error
							_, why, at, err = l.applyIn(ctx, tx, v, e, ms)
							return err
						}); err != nil {
							stop = err
							return nil // commit what came before
						}
						ms.moved(e, at) // its savepoint was kept
					}
				}
				refused = append(refused, why)
				n++
			}
			return nil
		})
	})
	if err != nil {
		return 0, nil, err
	}
	return n, refused, stop
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

// vetted is an event whose form and signature were checked: its origin's
// pinned peer and its hash (of the canonical bytes the signature covers).
type vetted struct {
	peer
	hash string
}

// vet checks what needs no database: the event's form, its origin, its
// signature. It returns the origin's pinned peer, or why e is refused.
func (l *Log) vet(e Event) (vetted, *Rejected) {
	if reason := malformed(e); reason != "" {
		return vetted{}, &Rejected{Reason: reason}
	}
	p, ok := l.peer(e.Origin)
	if !ok {
		return vetted{}, &Rejected{Reason: "unknown origin " + e.Origin}
	}
	c := e.canonical()
	if !ed25519.Verify(p.pub, c, e.Sig) {
		return vetted{}, &Rejected{Reason: "bad signature"}
	}
	return vetted{p, hashOf(c)}, nil
}

// applyIn applies a vetted event inside tx: its place in the origin's
// chain, the rules, the write. It returns the origin's high-water mark
// after e, which the caller keeps in ms once e's writes stand.
func (l *Log) applyIn(ctx context.Context, tx *store.Tx, v vetted, e Event, ms marks) (applied bool, refused *Rejected, at markAt, err error) {
	p := v.peer
	if at, err = ms.get(ctx, tx, e.Origin, e.Epoch); err != nil {
		return false, nil, at, err
	}
	switch {
	case e.Seq <= at.seq:
		return false, nil, at, nil // replay
	case e.Seq > at.seq+1:
		return false, nil, at, ErrGap
	case e.Prev != at.hash:
		// Signed but not the successor of what was applied: a forked
		// chain. Refused without moving on.
		refused = &Rejected{Reason: "predecessor hash does not match"}
		return false, refused, at, record(ctx, tx, e, refused.Reason)
	}
	reason := ""
	if l.clock.tooFarAhead(e.HLC) {
		reason = "clock more than an hour ahead"
	}
	t := tables[e.Entity]
	var old row
	if reason == "" {
		if old, err = readRow(ctx, tx, e.Entity, t, e.Key); err != nil {
			return false, nil, at, err
		}
		if p.role == Hub {
			reason = hubMay(e, old)
		}
	}
	if reason == "" {
		if reason, err = l.write(ctx, tx, t, e, old); err != nil {
			return false, nil, at, err
		}
	}
	if reason != "" {
		refused = &Rejected{Reason: reason}
		if err := record(ctx, tx, e, reason); err != nil {
			return false, nil, at, err
		}
	} else {
		if err := insertEvent(ctx, tx, e, v.hash); err != nil {
			return false, nil, at, err
		}
		if l.role == Hub && p.role == Owner && verifiedTables[e.Entity] {
			if err := foldVerified(ctx, tx, e, nil); err != nil {
				return false, nil, at, err
			}
		}
		applied = true
	}
	l.clock.Observe(e.HLC)
	return applied, refused, markAt{e.Seq, v.hash, true}, nil
}

// markAt is an origin's high-water mark and the hash of the event there.
type markAt struct {
	seq   uint64
	hash  string
	moved bool // to be written
}

// marks are the high-water marks one applying transaction read and moved,
// keyed by origin and epoch: each is read once, and written once at its
// end (applying), not twice per event.
type marks map[series]markAt

// series is an origin's epoch.
type series struct {
	origin string
	epoch  int64
}

func (ms marks) get(ctx context.Context, tx *store.Tx, origin string, epoch int64) (markAt, error) {
	k := series{origin, epoch}
	if m, ok := ms[k]; ok {
		return m, nil
	}
	seq, hash, err := mark(ctx, tx, origin, epoch)
	if err == nil {
		ms[k] = markAt{seq: seq, hash: hash}
	}
	return markAt{seq: seq, hash: hash}, err
}

// moved keeps e's origin's mark after e once e's writes stand.
func (ms marks) moved(e Event, at markAt) {
	if at.moved {
		ms[series{e.Origin, e.Epoch}] = at
	}
}

// applying runs fn with the triggers' capture paused (another device's
// changes must not be logged again) and the marks fn moved written after
// it: once per transaction, not per event.
func applying(ctx context.Context, tx *store.Tx, fn func(marks) error) error {
	if _, err := tx.Exec(ctx, `UPDATE change_state SET applying = 1`); err != nil {
		return err
	}
	ms := marks{}
	if err := fn(ms); err != nil {
		return err
	}
	for k, m := range ms {
		if !m.moved {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO change_applied (origin, epoch, seq, hash) VALUES (?, ?, ?, ?)
			ON CONFLICT (origin, epoch) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, k.origin, k.epoch, m.seq, m.hash); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `UPDATE change_state SET applying = 0`)
	return err
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
