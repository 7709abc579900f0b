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
// refused (refusals are recorded, see Rejected; refused[i] is evs[i]'s, nil
// when it was not refused) — and, when it stopped early, why: ErrGap or an
// error for evs[n], which was not consumed. On an error of the transaction
// itself nothing was consumed (0).
func (l *Log) ApplyAll(ctx context.Context, evs []Event) (n int, refused []*Rejected, err error) {
	var stop error
	err = l.s.ApplyTx(ctx, func(tx *store.Tx) error {
		n, stop, refused = 0, nil, make([]*Rejected, 0, len(evs))
		for _, e := range evs {
			var why *Rejected
			if e.Origin != l.origin {
				p, vetoed := l.vet(e)
				if vetoed != nil {
					if err := record(ctx, tx, e, vetoed.Reason); err != nil {
						return err
					}
					why = vetoed
				} else if err := l.savepoint(ctx, tx, func() error {
					var err error
					_, why, err = l.applyIn(ctx, tx, p, e)
					return err
				}); err != nil {
					stop = err
					return nil // commit what came before
				}
			}
			refused = append(refused, why)
			n++
		}
		return nil
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
