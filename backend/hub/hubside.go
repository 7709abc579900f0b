package hub

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"grantbook/backend/changelog"
)

// PairRequest is what a desktop posts to the hub with the pairing code.
type PairRequest struct {
	Code      string `json:"code"`
	Origin    string `json:"origin"`
	PublicKey []byte `json:"public_key"`
	Epoch     int64  `json:"epoch"`
}

// PairResponse is the hub's side of the exchange, and the leaf credential.
type PairResponse struct {
	HubOrigin    string `json:"hub_origin"`
	HubPublicKey []byte `json:"hub_public_key"`
	HubEpoch     int64  `json:"hub_epoch"`
	LeafUser     string `json:"leaf_user"`
	LeafSecret   string `json:"leaf_secret"`
}

// PeerRecord is a paired desktop as the hub keeps it (<data-dir>/sync/peers.json).
type PeerRecord struct {
	Origin     string    `json:"origin"`
	Epoch      int64     `json:"epoch"`
	PublicKey  []byte    `json:"public_key"`
	SecretHash string    `json:"secret_hash"`
	PairedAt   time.Time `json:"paired_at"`
}

// OriginOf is the device id of a public key.
var OriginOf = changelog.OriginOf

// HubSide is sync on a `grantbook serve` hub: its nats server, its own
// stream, and one Link per paired desktop.
type HubSide struct {
	Node  *Node
	Log   *changelog.Log
	Codes Codes
	dir   string

	ctx      context.Context
	closed   chan struct{}
	relayErr atomic.Value // string: why the hub's own stream is not being written
	mu       sync.Mutex
	peers    map[string]*hubPeer
}

type hubPeer struct {
	rec    PeerRecord
	link   *Link
	cancel context.CancelFunc
	done   chan struct{}
}

// OpenHub starts the hub's side under dataDir until ctx ends.
func OpenHub(ctx context.Context, dataDir string, log *changelog.Log) (*HubSide, error) {
	dir := filepath.Join(dataDir, "sync")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	recs, err := readPeers(dir)
	if err != nil {
		return nil, err
	}
	creds := LeafCreds{}
	for _, r := range recs {
		creds[r.Origin] = r.SecretHash
	}
	node, err := StartHub(HubConfig{Dir: filepath.Join(dir, "nats"), Creds: creds, Stream: StreamName(log.Origin(), log.Epoch())})
	if err != nil {
		return nil, err
	}
	h := &HubSide{Node: node, Log: log, dir: dir, ctx: ctx, peers: map[string]*hubPeer{}}
	relay := &Relay{JS: node.JS, Origin: log.Origin(), Epoch: log.Epoch(), Source: LogSource{log},
		Published: func(uint64) { h.relayErr.Store("") }}
	go relay.runRetrying(ctx, func(err error) { h.relayErr.Store(sendingError(err)) })
	for _, r := range recs {
		h.startPeer(r)
	}
	// The desktop compares the hub's grants digest with its own (status),
	// once the hub has applied all it sent.
	sub, err := node.NC.Subscribe(digestSubject(log.Origin()), func(m *nats.Msg) {
		var q digestQuery
		if json.Unmarshal(m.Data, &q) != nil {
			return
		}
		a := digestAnswer{}
		var err error
		if a.Digest, err = log.Digest(ctx); err != nil {
			return
		}
		if a.Applied, err = log.Applied(ctx, q.Origin, q.Epoch); err != nil {
			return
		}
		b, _ := json.Marshal(a)
		_ = m.Respond(b)
	})
	if err != nil {
		node.Close()
		return nil, err
	}
	_ = sub
	h.closed = make(chan struct{})
	context.AfterFunc(ctx, func() {
		for _, p := range h.snapshotPeers() {
			<-p.done
		}
		node.Close()
		close(h.closed)
	})
	return h, nil
}

func (h *HubSide) startPeer(r PeerRecord) {
	ctx, cancel := context.WithCancel(h.ctx)
	p := &hubPeer{rec: r, cancel: cancel, done: make(chan struct{}),
		link: &Link{Node: h.Node, Origin: h.Log.Origin(), Epoch: h.Log.Epoch(), Sink: LogSink{h.Log},
			Peer: Peer{Origin: r.Origin, Epoch: r.Epoch, Domain: DesktopDomain(r.Origin)}}}
	h.peers[r.Origin] = p
	go func() { defer close(p.done); p.link.Run(ctx) }()
}

// Pair takes a desktop's pairing request: the code must be the one in
// force; the desktop's key is pinned as an owner device and it gets a leaf
// credential. Pairing again (a new epoch) replaces the old pairing.
func (h *HubSide) Pair(ctx context.Context, req PairRequest) (PairResponse, error) {
	if len(req.PublicKey) != ed25519.PublicKeySize || OriginOf(req.PublicKey) != req.Origin {
		return PairResponse{}, errors.New("the desktop's key does not match its device id")
	}
	if req.Epoch < 1 {
		return PairResponse{}, errors.New("the desktop's epoch must be at least 1")
	}
	if err := h.Codes.Take(req.Code); err != nil {
		return PairResponse{}, err
	}
	if err := h.Log.Pin(ctx, req.Origin, req.PublicKey, changelog.Owner); err != nil {
		return PairResponse{}, fmt.Errorf("pinning the desktop's key: %w", err)
	}
	secret := randomSecret()
	rec := PeerRecord{Origin: req.Origin, Epoch: req.Epoch, PublicKey: req.PublicKey, SecretHash: HashSecret(secret), PairedAt: time.Now().UTC()}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.peers[req.Origin]; old != nil {
		h.stopPeer(ctx, old)
	}
	if err := h.savePeers(rec, ""); err != nil {
		return PairResponse{}, err
	}
	h.Node.AllowLeaf(req.Origin, rec.SecretHash)
	h.startPeer(rec)
	return PairResponse{HubOrigin: h.Log.Origin(), HubPublicKey: h.Log.PublicKey(), HubEpoch: h.Log.Epoch(),
		LeafUser: req.Origin, LeafSecret: secret}, nil
}

// Unpair forgets a desktop: its credential stops working at once, its
// connection is dropped and its mirror deleted.
func (h *HubSide) Unpair(ctx context.Context, origin string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.peers[origin]
	if p == nil {
		return ErrNotPaired
	}
	h.stopPeer(ctx, p)
	if err := h.Log.Unpin(ctx, origin); err != nil {
		return err
	}
	return h.savePeers(PeerRecord{}, origin)
}

// Authenticate tells whether secret is origin's leaf credential (for the
// desktop's own calls: snapshot, unpair).
func (h *HubSide) Authenticate(origin, secret string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.peers[origin]
	return p != nil && secret != "" && HashSecret(secret) == p.rec.SecretHash
}

func digestSubject(hubOrigin string) string { return "gb.digest." + hubOrigin }

// digestQuery asks the hub for its grants digest and for how far it has
// applied the asking desktop's events.
type digestQuery struct {
	Origin string `json:"origin"`
	Epoch  int64  `json:"epoch"`
}

type digestAnswer struct {
	Digest  string `json:"digest"`
	Applied uint64 `json:"applied"`
}

// ErrNotPaired: no such pairing.
var ErrNotPaired = errors.New("not paired")

func (h *HubSide) stopPeer(ctx context.Context, p *hubPeer) {
	h.Node.RevokeLeaf(p.rec.Origin)
	p.cancel()
	<-p.done
	_ = DeleteStream(ctx, h.Node.JS, p.rec.Origin, p.rec.Epoch)
	delete(h.peers, p.rec.Origin)
}

// PeerStatus is one paired desktop and how sync with it goes.
type PeerStatus struct {
	Origin   string    `json:"origin"`
	Epoch    int64     `json:"epoch"`
	PairedAt time.Time `json:"paired_at"`
	Status
}

// HubStatus is the hub's sync state for its owner page.
type HubStatus struct {
	Code        string       `json:"code,omitempty"` // the pairing code in force
	CodeExpires *time.Time   `json:"code_expires,omitempty"`
	Peers       []PeerStatus `json:"peers"`
	Error       string       `json:"error,omitempty"` // the hub's own changes are not going out
}

// Status lists the paired desktops.
func (h *HubSide) Status(ctx context.Context) HubStatus {
	var s HubStatus
	if code, exp, ok := h.Codes.Current(); ok {
		s.Code, s.CodeExpires = code, &exp
	}
	s.Error, _ = h.relayErr.Load().(string)
	peers := h.snapshotPeers()
	s.Peers = []PeerStatus{}
	for _, p := range peers {
		ps := PeerStatus{Origin: p.rec.Origin, Epoch: p.rec.Epoch, PairedAt: p.rec.PairedAt, Status: p.link.Status(ctx)}
		ps.Rejected = Rejections(ctx, h.Log, p.rec.Origin)
		s.Peers = append(s.Peers, ps)
	}
	return s
}

func readPeers(dir string) ([]PeerRecord, error) {
	b, err := os.ReadFile(filepath.Join(dir, "peers.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []PeerRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "peers.json"), err)
	}
	return recs, nil
}

// savePeers writes the peer list with add added (or replaced) and drop
// removed; h.mu is held.
func (h *HubSide) savePeers(add PeerRecord, drop string) error {
	recs := []PeerRecord{}
	for o, p := range h.peers {
		if o != add.Origin && o != drop {
			recs = append(recs, p.rec)
		}
	}
	if add.Origin != "" {
		recs = append(recs, add)
	}
	return writeJSONFile(filepath.Join(h.dir, "peers.json"), recs)
}

// writeJSONFile replaces path atomically (write, sync, rename).
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Wait returns once everything OpenHub started has stopped (after its ctx ended).
func (h *HubSide) Wait() {
	<-h.closed
}

func (h *HubSide) snapshotPeers() []*hubPeer {
	h.mu.Lock()
	defer h.mu.Unlock()
	peers := make([]*hubPeer, 0, len(h.peers))
	for _, p := range h.peers {
		peers = append(peers, p)
	}
	return peers
}

// Paired reports whether a desktop is paired with this hub: the owner's
// records are then the desktop's to change.
func (h *HubSide) Paired() bool { return len(h.snapshotPeers()) > 0 }
