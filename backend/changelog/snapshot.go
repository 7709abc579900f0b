package changelog

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/store"
)

// settingsKeys are the settings replicated (migration 18's triggers name
// the same): the client area's, billing's and notices' — never mail
// passwords, the owner's passphrase or this process's own state.
var settingsKeys = []string{"client_area", "lifecycle.settings", "notices.settings", "billing.payment_methods", "mail.invitation_template"}

// Snapshot starts a new epoch whose first events are every replicated row
// (an upsert each, signed, chained), and returns them: pairing sends them,
// and the other side's mirror of the new epoch's stream goes on from there.
// Owner devices only.
func (l *Log) Snapshot(ctx context.Context) ([]Event, error) {
	if l.role != Owner {
		return nil, errors.New("changelog: only an owner's device makes snapshots")
	}
	epoch := max(time.Now().UnixMilli(), l.epoch.Load()+1)
	var out []Event
	err := l.s.Tx(ctx, func(tx *store.Tx) error {
		out = nil
		if _, err := tx.Exec(ctx, `UPDATE change_state SET epoch = ?`, epoch); err != nil {
			return err
		}
		prev := ""
		for _, entity := range order {
			rows, err := allRows(ctx, tx, entity)
			if err != nil {
				return err
			}
			for _, r := range rows {
				key, _ := keyOf(tables[entity], r)
				b, err := json.Marshal(r)
				if err != nil {
					return err
				}
				e := Event{Origin: l.origin, Epoch: epoch, Seq: uint64(len(out) + 1), HLC: l.clock.Now(),
					Entity: entity, Key: key, Op: Upsert, Fields: b, Prev: prev}
				e.Sig = ed25519.Sign(l.key, e.canonical())
				if err := insertEvent(ctx, tx, e, e.Hash()); err != nil {
					return err
				}
				prev = e.Hash()
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("changelog: snapshot: %w", err)
	}
	l.epoch.Store(epoch)
	l.tell()
	return out, nil
}

// allRows reads a replicated table whole, in key order.
func allRows(ctx context.Context, q querier, entity string) ([]row, error) {
	t := tables[entity]
	where := ""
	var args []any
	if entity == "settings" {
		where = ` WHERE key IN (?` + strings.Repeat(", ?", len(settingsKeys)-1) + `)`
		for _, k := range settingsKeys {
			args = append(args, k)
		}
	}
	rows, err := q.Query(ctx, `SELECT * FROM `+ident(entity)+where+` ORDER BY `+strings.Join(t.pk, ", "), args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", entity, err)
	}
	return scanRows(rows)
}

// Digest is a digest of the access rows (contacts' standing, grants, their
// services), equal on both sides after sync.
func (l *Log) Digest(ctx context.Context) (string, error) {
	h := sha256.New()
	for _, entity := range []string{"grants", "grant_services"} {
		d, err := tableDigest(ctx, l.s, entity, nil)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s\n", entity, d)
	}
	d, err := tableDigest(ctx, l.s, "contacts", accessColumns)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "contacts %s\n", d)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TableDigests is a digest per replicated table, for checking that two
// devices hold the same rows.
func (l *Log) TableDigests(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, entity := range order {
		d, err := tableDigest(ctx, l.s, entity, nil)
		if err != nil {
			return nil, err
		}
		out[entity] = d
	}
	return out, nil
}

// tableDigest hashes a table's rows in key order (only cols, when given).
func tableDigest(ctx context.Context, q querier, entity string, cols []string) (string, error) {
	rows, err := allRows(ctx, q, entity)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, r := range rows {
		if cols != nil {
			only := row{}
			for _, c := range cols {
				only[c] = r[c]
			}
			r = only
		}
		b, err := json.Marshal(r)
		if err != nil {
			return "", err
		}
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
