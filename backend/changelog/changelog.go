// Package changelog is what changed in a store and whether to take a
// change from another device: signed, numbered, chained events (issue 18).
// How events travel is backend/hub's concern; docs/sync.md has the rules.
package changelog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"grantbook/backend/store"
)

// Event is one replicated change. Canonical bytes (for Prev and Sig) are
// the JSON encoding of the event with Sig empty; Marshal/Unmarshal give
// the wire form (JSON).
type Event struct {
	Origin string          `json:"origin"` // device id: hex of the first 16 bytes of sha256(public key)
	Epoch  int64           `json:"epoch"`  // changes on re-pairing / a lost store
	Seq    uint64          `json:"seq"`    // 1, 2, 3… per (origin, epoch), no gaps
	HLC    uint64          `json:"hlc"`    // hybrid logical clock: unix ms << 16 | counter
	Entity string          `json:"entity"` // table
	Key    string          `json:"key"`    // primary key: the value, or a JSON array for two columns
	Op     string          `json:"op"`     // "upsert" | "delete"
	Fields json.RawMessage `json:"fields,omitempty"`
	// Base is, per field, the clock of the write this device's change
	// replaced when another device made it: the receiver tells an edit made
	// after seeing its own from one made at the same time (a conflict).
	Base map[string]uint64 `json:"base,omitempty"`
	Prev string            `json:"prev"` // hex sha256 of the predecessor's canonical bytes ("" for seq 1)
	Sig  []byte            `json:"sig"`  // ed25519 over the canonical bytes
}

// Ops.
const (
	Upsert = "upsert"
	Delete = "delete"
)

// canonical is what Prev hashes and Sig signs.
func (e Event) canonical() []byte {
	e.Sig = nil
	b, err := json.Marshal(e)
	if err != nil { // only invalid Fields, which Unmarshal and capture never let through
		panic("changelog: canonical: " + err.Error())
	}
	return b
}

// Hash is the hex sha256 of the canonical bytes: the next event's Prev.
func (e Event) Hash() string { return hashOf(e.canonical()) }

// hashOf is an event's hash from its canonical bytes.
func hashOf(canonical []byte) string {
	h := sha256.Sum256(canonical)
	return hex.EncodeToString(h[:])
}

// Role is what a device is: an owner's desktop or the hub.
type Role string

const (
	Owner Role = "owner"
	Hub   Role = "hub"
)

// ErrGap is returned by Apply for an event whose predecessor has not been applied.
var ErrGap = errors.New("changelog: gap: an earlier event is missing")

// Rejected is an event refused for good, with the reason; it is recorded.
type Rejected struct{ Reason string }

func (r *Rejected) Error() string { return "changelog: rejected: " + r.Reason }

// RejectedEvent is a refused event as recorded.
type RejectedEvent struct {
	Event  Event
	Reason string
	At     time.Time
}

// Log is the change log of one store.
type Log struct {
	s      *store.Store
	role   Role
	key    ed25519.PrivateKey
	origin string
	epoch  atomic.Int64 // change_state.epoch, as last committed
	clock  *clock
	notify chan struct{}

	mu    sync.Mutex
	peers map[string]peer
	cols  map[string]map[string]bool // columns of the replicated tables
}

type peer struct {
	pub  ed25519.PublicKey
	role Role
}

// HubIDBase is where the hub's ids start in the tables both sides add rows
// to (support messages, reported payments, orders…): the desktop's stay below.
const HubIDBase = int64(1) << 40

// KeyFile is the device key's file name in the key directory.
const KeyFile = "device.key"

// Open opens the change log of s and turns capture on: from now on every
// change to a replicated table is logged, signed with the device key kept
// in keyDir (made on first use, mode 0600). A store that has a log under
// another key (a new key, a copied store) starts a new epoch.
func Open(ctx context.Context, s *store.Store, role Role, keyDir string) (*Log, error) {
	if role != Owner && role != Hub {
		return nil, fmt.Errorf("changelog: unknown role %q", role)
	}
	key, err := loadKey(keyDir)
	if err != nil {
		return nil, err
	}
	l := &Log{s: s, role: role, key: key, origin: OriginOf(key.Public().(ed25519.PublicKey)),
		notify: make(chan struct{}, 1), peers: map[string]peer{}, cols: map[string]map[string]bool{}}
	lo, hi := int64(0), HubIDBase
	if role == Hub {
		lo, hi = HubIDBase, 2*HubIDBase
	}
	var last uint64
	err = s.Tx(ctx, func(tx *store.Tx) error {
		var origin, oldRole string
		var epoch int64
		if err := tx.QueryRow(ctx, `SELECT origin, epoch, role FROM change_state`).Scan(&origin, &epoch, &oldRole); err != nil {
			return err
		}
		if oldRole != "" && oldRole != string(role) {
			return fmt.Errorf("changelog: this store is a %s's, not a %s's", oldRole, role)
		}
		if origin != l.origin || epoch == 0 {
			epoch = time.Now().UnixMilli()
		}
		l.epoch.Store(epoch)
		if _, err := tx.Exec(ctx, `UPDATE change_state SET origin = ?, epoch = ?, role = ?, capture = 1, id_lo = ?, id_hi = ?`,
			l.origin, epoch, role, lo, hi); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT coalesce(max(hlc), 0) FROM change_log`).Scan(&last)
	})
	if err != nil {
		return nil, fmt.Errorf("changelog: open: %w", err)
	}
	l.clock = newClock(last)
	if err := l.loadPeers(ctx); err != nil {
		return nil, err
	}
	s.SetCommitHook(&store.CommitHook{Before: l.seal, After: l.tell})
	// Changes logged while no log was open (a command run without one) are sealed now.
	if err := s.Tx(ctx, func(*store.Tx) error { return nil }); err != nil {
		return nil, fmt.Errorf("changelog: open: %w", err)
	}
	return l, nil
}

// Close stops sealing: later changes stay unsigned until the next Open.
func (l *Log) Close() { l.s.SetCommitHook(nil) }

// OriginOf is the device id of a public key.
func OriginOf(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:16])
}

func loadKey(dir string) (ed25519.PrivateKey, error) {
	file := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("changelog: key: %w", err)
		}
		// O_EXCL: two processes starting at once must not each write a key.
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("changelog: key: %w", err)
		}
		_, err = f.WriteString(hex.EncodeToString(priv.Seed()) + "\n")
		if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("changelog: key: %w", err)
		}
		return priv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("changelog: key: %w", err)
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("changelog: key %s is readable by others (mode %v): chmod 600 it", file, fi.Mode().Perm())
	}
	seed, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("changelog: key %s is not a device key", file)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func (l *Log) Origin() string               { return l.origin }
func (l *Log) Epoch() int64                 { return l.epoch.Load() }
func (l *Log) PublicKey() ed25519.PublicKey { return l.key.Public().(ed25519.PublicKey) }
func (l *Log) Role() Role                   { return l.role }

// Notify gets a value after each commit that wrote own events.
func (l *Log) Notify() <-chan struct{} { return l.notify }

func (l *Log) tell() {
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// Pin trusts pub as origin's key in role (pairing). origin must be pub's id.
func (l *Log) Pin(ctx context.Context, origin string, pub ed25519.PublicKey, role Role) error {
	if len(pub) != ed25519.PublicKeySize || OriginOf(pub) != origin {
		return errors.New("changelog: pin: the origin is not that key's")
	}
	if role != Owner && role != Hub {
		return fmt.Errorf("changelog: pin: unknown role %q", role)
	}
	if origin == l.origin {
		return errors.New("changelog: pin: that is this device's own key")
	}
	err := l.s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO change_peers (origin, public_key, role, pinned_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (origin) DO UPDATE SET public_key = excluded.public_key, role = excluded.role, pinned_at = excluded.pinned_at`,
			origin, []byte(pub), role, time.Now().Unix())
		return err
	})
	if err != nil {
		return fmt.Errorf("changelog: pin: %w", err)
	}
	l.mu.Lock()
	l.peers[origin] = peer{pub: pub, role: role}
	l.mu.Unlock()
	return nil
}

// Unpin forgets a device: its later events are refused.
func (l *Log) Unpin(ctx context.Context, origin string) error {
	err := l.s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM change_peers WHERE origin = ?`, origin)
		return err
	})
	if err != nil {
		return fmt.Errorf("changelog: unpin: %w", err)
	}
	l.mu.Lock()
	delete(l.peers, origin)
	l.mu.Unlock()
	return nil
}

func (l *Log) loadPeers(ctx context.Context) error {
	rows, err := l.s.Query(ctx, `SELECT origin, public_key, role FROM change_peers`)
	if err != nil {
		return fmt.Errorf("changelog: peers: %w", err)
	}
	defer rows.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for rows.Next() {
		var o, r string
		var pub []byte
		if err := rows.Scan(&o, &pub, &r); err != nil {
			return fmt.Errorf("changelog: peers: %w", err)
		}
		l.peers[o] = peer{pub: ed25519.PublicKey(pub), role: Role(r)}
	}
	return rows.Err()
}

func (l *Log) peer(origin string) (peer, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.peers[origin]
	return p, ok
}

// Since returns own events of the current epoch after seq, at most limit.
func (l *Log) Since(ctx context.Context, seq uint64, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := l.s.Query(ctx, `SELECT `+eventCols+` FROM change_log
		WHERE origin = ? AND epoch = ? AND seq > ? ORDER BY seq LIMIT ?`, l.origin, l.epoch.Load(), seq, limit)
	if err != nil {
		return nil, fmt.Errorf("changelog: since: %w", err)
	}
	return scanEvents(rows)
}

const eventCols = `origin, epoch, seq, hlc, entity, key, op, fields, base, prev, sig`

func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var fields, base sql.NullString
		if err := rows.Scan(&e.Origin, &e.Epoch, &e.Seq, &e.HLC, &e.Entity, &e.Key, &e.Op, &fields, &base, &e.Prev, &e.Sig); err != nil {
			return nil, fmt.Errorf("changelog: read events: %w", err)
		}
		if fields.Valid {
			e.Fields = json.RawMessage(fields.String)
		}
		if base.Valid {
			if err := json.Unmarshal([]byte(base.String), &e.Base); err != nil {
				return nil, fmt.Errorf("changelog: read events: %w", err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Applied is the high-water mark of (origin, epoch).
func (l *Log) Applied(ctx context.Context, origin string, epoch int64) (uint64, error) {
	var seq uint64
	err := l.s.QueryRow(ctx, `SELECT seq FROM change_applied WHERE origin = ? AND epoch = ?`, origin, epoch).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("changelog: applied: %w", err)
	}
	return seq, nil
}

// Rejected lists the newest refused events.
func (l *Log) Rejected(ctx context.Context, limit int) ([]RejectedEvent, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := l.s.Query(ctx, `SELECT event, reason, at FROM change_rejected ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("changelog: rejected: %w", err)
	}
	defer rows.Close()
	var out []RejectedEvent
	for rows.Next() {
		var raw string
		var r RejectedEvent
		var at int64
		if err := rows.Scan(&raw, &r.Reason, &at); err != nil {
			return nil, fmt.Errorf("changelog: rejected: %w", err)
		}
		r.Event, _ = Unmarshal([]byte(raw)) // kept as received: may be garbage
		r.At = time.Unix(at, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Marshal is the wire form of e.
func Marshal(e Event) ([]byte, error) { return json.Marshal(e) }

// maxEvent bounds an event on the wire: a row of a replicated table is small.
const maxEvent = 1 << 20

// Unmarshal reads the wire form; anything but one well-formed event is an error.
func Unmarshal(b []byte) (Event, error) {
	var e Event
	if len(b) > maxEvent {
		return e, errors.New("changelog: event too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("changelog: event: %w", err)
	}
	if dec.More() {
		return Event{}, errors.New("changelog: event: trailing data")
	}
	return e, nil
}

// Conflict is a field both devices changed without having seen the
// other's value; Winner's value was kept (the later clock).
type Conflict struct {
	Entity, Key, Field string
	Local, Remote      string
	Winner             string // origin
	At                 time.Time
	What               string // the record in words ("account Acme Ltd"), for the owner
}

// conflictLabels name a conflicting record by what the owner knows it by.
var conflictLabels = map[string]struct{ noun, expr string }{
	"accounts":         {"account", "name"},
	"contacts":         {"contact", "first_name || ' ' || last_name"},
	"services":         {"service", "name"},
	"invoices":         {"invoice", "number"},
	"quotes":           {"quote", "number"},
	"support_requests": {"support request", "subject"},
}

// Conflicts lists the newest conflicts, for the owner to see.
func (l *Log) Conflicts(ctx context.Context, limit int) ([]Conflict, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := l.s.Query(ctx, `SELECT entity, key, field, coalesce(local, ''), coalesce(remote, ''), winner, at
		FROM change_conflicts ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("changelog: conflicts: %w", err)
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		var c Conflict
		var at int64
		if err := rows.Scan(&c.Entity, &c.Key, &c.Field, &c.Local, &c.Remote, &c.Winner, &at); err != nil {
			return nil, fmt.Errorf("changelog: conflicts: %w", err)
		}
		c.At = time.Unix(at, 0).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		out[i].What = l.conflictLabel(ctx, out[i].Entity, out[i].Key)
	}
	return out, nil
}

// conflictLabel is "account Acme Ltd", or the table and key when the row
// is gone or has no name.
func (l *Log) conflictLabel(ctx context.Context, entity, key string) string {
	lb, ok := conflictLabels[entity]
	if !ok {
		return strings.ReplaceAll(entity, "_", " ") + " " + key
	}
	var name string
	// lb.expr comes from the map above, never from the event.
	if err := l.s.QueryRow(ctx, `SELECT `+lb.expr+` FROM `+entity+` WHERE id = ?`, key).Scan(&name); err != nil || strings.TrimSpace(name) == "" {
		return lb.noun + " " + key
	}
	return lb.noun + " " + name
}
