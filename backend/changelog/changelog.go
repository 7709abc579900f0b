// Package changelog is what changed in a store and whether to take a
// change from another device: signed, numbered, chained events (issue 18).
// How events travel is backend/hub's concern.
package changelog

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
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
	Key    string          `json:"key"`    // primary key
	Op     string          `json:"op"`     // "upsert" | "delete"
	Fields json.RawMessage `json:"fields,omitempty"`
	Prev   string          `json:"prev"` // hex sha256 of the predecessor's canonical bytes ("" for seq 1)
	Sig    []byte          `json:"sig"`  // ed25519 over the canonical bytes
}

// Role is what a device is: an owner's desktop or the hub.
type Role string

const (
	Owner Role = "owner"
	Hub   Role = "hub"
)

// ErrGap is returned by Apply for an event whose predecessor has not been applied.
var ErrGap = errors.New("changelog: gap: an earlier event is missing")

var errNotYet = errors.New("changelog: not yet")

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
	epoch  int64
	notify chan struct{}
}

// Open opens the change log of s; the device key lives in keyDir.
func Open(ctx context.Context, s *store.Store, role Role, keyDir string) (*Log, error) {
	return nil, errNotYet
}

func (l *Log) Origin() string               { return l.origin }
func (l *Log) Epoch() int64                 { return l.epoch }
func (l *Log) PublicKey() ed25519.PublicKey { return l.key.Public().(ed25519.PublicKey) }
func (l *Log) Role() Role                   { return l.role }

// Notify gets a value after each commit that wrote own events.
func (l *Log) Notify() <-chan struct{} { return l.notify }

// Pin trusts pub as origin's key in role (pairing).
func (l *Log) Pin(ctx context.Context, origin string, pub ed25519.PublicKey, role Role) error {
	return errNotYet
}

// Since returns own events of the current epoch after seq, at most limit.
func (l *Log) Since(ctx context.Context, seq uint64, limit int) ([]Event, error) {
	return nil, errNotYet
}

// Apply applies another device's event: idempotent by (origin, epoch,
// seq); a gap is ErrGap; a refused event is *Rejected, recorded.
func (l *Log) Apply(ctx context.Context, e Event) (applied bool, err error) {
	return false, errNotYet
}

// Applied is the high-water mark of (origin, epoch).
func (l *Log) Applied(ctx context.Context, origin string, epoch int64) (uint64, error) {
	return 0, errNotYet
}

// Snapshot is the owner's full replicated state as signed events, for pairing.
func (l *Log) Snapshot(ctx context.Context) ([]Event, error) { return nil, errNotYet }

// Digest is a digest of the grants, equal on both sides after sync.
func (l *Log) Digest(ctx context.Context) (string, error) { return "", errNotYet }

// Rejected lists the newest refused events.
func (l *Log) Rejected(ctx context.Context, limit int) ([]RejectedEvent, error) {
	return nil, errNotYet
}

// Marshal is the wire form of e.
func Marshal(e Event) ([]byte, error) { return json.Marshal(e) }

// Unmarshal reads the wire form.
func Unmarshal(b []byte) (Event, error) {
	var e Event
	err := json.Unmarshal(b, &e)
	return e, err
}
