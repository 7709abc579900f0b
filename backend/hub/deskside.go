package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"grantbook/backend/changelog"
)

// Pairing is the desktop's half of a pairing (<data-dir>/sync/pairing.json).
type Pairing struct {
	Hub          string    `json:"hub"` // https://host[:port]
	HubOrigin    string    `json:"hub_origin"`
	HubPublicKey []byte    `json:"hub_public_key"`
	HubEpoch     int64     `json:"hub_epoch"`
	Epoch        int64     `json:"epoch"` // own epoch this pairing publishes under
	LeafUser     string    `json:"leaf_user"`
	LeafSecret   string    `json:"leaf_secret"`
	PairedAt     time.Time `json:"paired_at"`
}

// DesktopSide is sync in the window: nothing runs until it is paired, not
// even the change log (the log is never pruned: an unpaired desktop keeps
// none).
type DesktopSide struct {
	Log    *changelog.Log // nil until paired (or opened for a pairing)
	Client *http.Client
	open   func(context.Context) (*changelog.Log, error)
	dir    string
	ctx    context.Context

	mu      sync.Mutex
	pairing *Pairing
	node    *Node
	link    *Link
	cancel  context.CancelFunc
	// linkDone closes when the link has stopped; release lets the node
	// close (Disconnect deletes the streams in between); done closes after.
	linkDone, release, done chan struct{}
}

// OpenDesktop reads the pairing under dataDir and, if there is one, starts
// syncing until ctx ends.
func OpenDesktop(ctx context.Context, dataDir string, open func(context.Context) (*changelog.Log, error)) (*DesktopSide, error) {
	d := &DesktopSide{open: open, dir: filepath.Join(dataDir, "sync"), ctx: ctx,
		Client: &http.Client{Timeout: 2 * time.Minute}}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(d.pairingFile())
	switch {
	case errors.Is(err, os.ErrNotExist):
		return d, nil
	case err != nil:
		return nil, err
	}
	var p Pairing
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", d.pairingFile(), err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Log, err = open(ctx); err != nil {
		return nil, err
	}
	return d, d.start(&p)
}

// CloseLog stops the change log's sealing (at the core's Close).
func (d *DesktopSide) CloseLog() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Log != nil {
		d.Log.Close()
	}
}

func (d *DesktopSide) pairingFile() string { return filepath.Join(d.dir, "pairing.json") }

// HubAddress checks what the owner typed: https (plain http only to this
// computer, for tests and a hub on the same machine), no path.
func HubAddress(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a hub address: give it as https://hub.example.com", s)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, errors.New("give the hub address alone, as https://hub.example.com")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("the hub must be reached over https")
		}
	default:
		return nil, errors.New("the hub must be reached over https")
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// Connect pairs with the hub at address using the code the hub showed,
// sends the signed snapshot, and starts syncing.
func (d *DesktopSide) Connect(ctx context.Context, address, code string) error {
	base, err := HubAddress(address)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pairing != nil {
		return errors.New("already connected to " + d.pairing.Hub + ": disconnect first")
	}
	if d.Log == nil {
		if d.Log, err = d.open(ctx); err != nil {
			return err
		}
	}
	// The snapshot starts a new epoch whose first events are the owner's whole
	// signed state: the hub's mirror of that epoch's stream receives it, then
	// every later change, so the snapshot travels the same durable way.
	if _, err := d.Log.Snapshot(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	req := PairRequest{Code: code, Origin: d.Log.Origin(), PublicKey: d.Log.PublicKey(), Epoch: d.Log.Epoch()}
	var resp PairResponse
	if err := d.post(ctx, base.String()+"/api/sync/pair", "", req, &resp); err != nil {
		return err
	}
	if len(resp.HubPublicKey) != ed25519.PublicKeySize || OriginOf(resp.HubPublicKey) != resp.HubOrigin {
		return errors.New("the hub's key does not match its device id")
	}
	if err := d.Log.Pin(ctx, resp.HubOrigin, resp.HubPublicKey, changelog.Hub); err != nil {
		return err
	}
	p := &Pairing{Hub: base.String(), HubOrigin: resp.HubOrigin, HubPublicKey: resp.HubPublicKey, HubEpoch: resp.HubEpoch,
		Epoch: req.Epoch, LeafUser: resp.LeafUser, LeafSecret: resp.LeafSecret, PairedAt: time.Now().UTC()}
	if err := writeJSONFile(d.pairingFile(), p); err != nil {
		return err
	}
	return d.start(p)
}

// start runs the node and the link for p; d.mu is held.
func (d *DesktopSide) start(p *Pairing) error {
	base, err := url.Parse(p.Hub)
	if err != nil {
		return err
	}
	node, err := StartDesktop(DesktopConfig{Dir: filepath.Join(d.dir, "nats"), Origin: d.Log.Origin(),
		Remote: RemoteURL(base, p.LeafUser, p.LeafSecret), Mirrors: []string{StreamName(p.HubOrigin, p.HubEpoch)}})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(d.ctx)
	d.pairing, d.node, d.cancel = p, node, cancel
	d.linkDone, d.release, d.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	d.link = &Link{Node: node, Origin: d.Log.Origin(), Epoch: p.Epoch, Source: LogSource{d.Log}, Sink: LogSink{d.Log},
		Peer: Peer{Origin: p.HubOrigin, Epoch: p.HubEpoch, Domain: HubDomain}}
	link, linkDone, release, done := d.link, d.linkDone, d.release, d.done
	go func() {
		defer close(done)
		link.Run(ctx)
		close(linkDone)
		select {
		case <-release: // Disconnect is done with the node
		case <-d.ctx.Done():
		}
		node.Close()
	}()
	return nil
}

// Disconnect unpairs: tells the hub (if it answers), stops syncing and
// forgets the pairing and both streams. Pairing again starts a new epoch.
func (d *DesktopSide) Disconnect(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.pairing
	if p == nil {
		return ErrNotPaired
	}
	hubErr := d.post(ctx, p.Hub+"/api/sync/unpair", p.LeafSecret, map[string]string{"origin": p.LeafUser}, nil)
	// The link first: a mirror it is making again meanwhile would outlive
	// a deletion made before it stopped.
	d.cancel()
	<-d.linkDone
	_ = DeleteStream(ctx, d.node.JS, d.Log.Origin(), p.Epoch)
	_ = DeleteStream(ctx, d.node.JS, p.HubOrigin, p.HubEpoch)
	close(d.release)
	<-d.done
	_ = d.Log.Unpin(ctx, p.HubOrigin)
	d.pairing, d.node, d.link = nil, nil, nil
	if err := os.Remove(d.pairingFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if hubErr != nil {
		return fmt.Errorf("disconnected here; the hub did not hear of it (%v): remove this computer on the hub's owner page", hubErr)
	}
	return nil
}

// DesktopStatus is the window's sync line.
type DesktopStatus struct {
	Paired bool   `json:"paired"`
	Hub    string `json:"hub,omitempty"`
	// DigestDiffers: in step, yet the hub's grants digest is not this
	// computer's: the hub's access rows differ from the owner's.
	DigestDiffers bool `json:"digest_differs,omitempty"`
	// Conflicts: fields both this computer and the hub changed at once.
	Conflicts []ConflictNote `json:"conflicts"`
	Status
}

// Status says whether the window is paired and how sync goes.
func (d *DesktopSide) Status(ctx context.Context) DesktopStatus {
	d.mu.Lock()
	p, link, log, node := d.pairing, d.link, d.Log, d.node
	d.mu.Unlock()
	if p == nil {
		return DesktopStatus{Conflicts: []ConflictNote{}, Status: Status{State: StateUnpaired, Rejected: []RejectedNote{}}}
	}
	st := DesktopStatus{Paired: true, Hub: p.Hub, Status: link.Status(ctx)}
	st.Rejected = Rejections(ctx, log, p.HubOrigin)
	st.Conflicts = Conflicts(ctx, log, p.HubOrigin)
	if st.State == StateConnected {
		// The hub's mirror may hold events its applier has not written yet:
		// until it has, it is catching up, and its digest says nothing.
		var behind uint64
		st.DigestDiffers, behind = digestDiffers(ctx, node, log, p)
		if behind > 0 {
			st.State, st.Pending = StateCatchingUp, st.Pending+behind
		}
		if st.DigestDiffers && st.Forged == 0 { // a forged stream says more
			st.Error = "the hub's access (grants and contacts) differs from this computer's, though both are in step: the hub's database was changed behind Grantbook's back"
		}
	}
	if e := log.Epoch(); e != p.Epoch {
		// A restored or copied store writes under a new epoch the hub does not mirror.
		st.Error = "this computer's changes start a new series the hub does not know: disconnect and connect again"
	}
	return st
}

// post sends v as JSON and reads the answer into out; a non-2xx answer's
// error message becomes the error.
func (d *DesktopSide) post(ctx context.Context, u, bearer string, v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := d.Client.Do(req)
	if err != nil {
		return fmt.Errorf("the hub did not answer: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			return errors.New(e.Error.Message)
		}
		return fmt.Errorf("the hub answered %s", res.Status)
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

// Node is the desktop's nats node while paired (nil otherwise): for tests
// and benchmarks that look at its streams.
func (d *DesktopSide) Node() *Node {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.node
}

// Wait returns once the link has stopped (after OpenDesktop's ctx ended).
func (d *DesktopSide) Wait() {
	d.mu.Lock()
	done := d.done
	d.mu.Unlock()
	if done != nil {
		<-done
	}
}

// digestDiffers asks the hub across the leaf for its grants digest and how
// far it has applied this computer's events: behind is how many it has not
// applied yet (then no verdict); no answer is no verdict.
func digestDiffers(ctx context.Context, node *Node, log *changelog.Log, p *Pairing) (differs bool, behind uint64) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	q, _ := json.Marshal(digestQuery{Origin: log.Origin(), Epoch: p.Epoch})
	m, err := node.NC.RequestWithContext(ctx, digestSubject(p.HubOrigin), q)
	if err != nil {
		return false, 0
	}
	var a digestAnswer
	if json.Unmarshal(m.Data, &a) != nil {
		return false, 0
	}
	own, err := log.Since(ctx, a.Applied, 1)
	if err != nil {
		return false, 0
	}
	if len(own) > 0 {
		last, err := streamLast(ctx, node.JS, StreamName(log.Origin(), p.Epoch))
		if err != nil || last <= a.Applied {
			return false, 1
		}
		return false, last - a.Applied
	}
	d, err := log.Digest(ctx)
	return err == nil && a.Digest != d, 0
}
