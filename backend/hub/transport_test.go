package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// memLog is a minimal in-memory log for the transport-only tests: numbered
// payloads out, payloads in strictly in order (so a gap or a double apply
// shows). The real change log is tested in sync_test.go.
type memLog struct {
	mu     sync.Mutex
	own    [][]byte
	got    []string
	txs    int // calls that applied something: one transaction each in the real log
	notify chan struct{}
}

func newMemLog() *memLog { return &memLog{notify: make(chan struct{}, 1)} }

func (m *memLog) write(s string) {
	m.mu.Lock()
	m.own = append(m.own, []byte(fmt.Sprintf("%d:%s", len(m.own)+1, s)))
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

func (m *memLog) Since(_ context.Context, seq uint64, limit int) ([]Outgoing, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Outgoing
	for i := seq; i < uint64(len(m.own)) && len(out) < limit; i++ {
		out = append(out, Outgoing{Seq: i + 1, Data: m.own[i]})
	}
	return out, nil
}

func (m *memLog) Notify() <-chan struct{} { return m.notify }

// ApplyAll applies data in order as one "transaction".
func (m *memLog) ApplyAll(_ context.Context, data [][]byte) (int, []*Rejected, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.txs++
	refused := []*Rejected{}
	for _, b := range data {
		err := m.apply(b)
		var rej *Rejected
		if err != nil && !errors.As(err, &rej) {
			return len(refused), refused, err
		}
		refused = append(refused, rej)
	}
	return len(refused), refused, nil
}

func (m *memLog) apply(data []byte) error {
	var n int
	var rest string
	if _, err := fmt.Sscanf(string(data), "%d:%s", &n, &rest); err != nil {
		return &Rejected{Reason: "garbled"}
	}
	switch {
	case n <= len(m.got):
		return nil // already applied
	case n > len(m.got)+1:
		return ErrGap
	}
	m.got = append(m.got, rest)
	return nil
}

func (m *memLog) Applied(context.Context, string, int64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.got)), nil
}

func (m *memLog) transactions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs
}

func (m *memLog) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string{}, m.got...)
}

func TestTransportBothWaysThroughCutLink(t *testing.T) {
	ctx := testCtx(t)
	hub, desk, proxy := pairNodes(t, "d1")
	dlog, hlog, dl, _ := runLinks(t, hub, desk)

	hubTxs := hlog.transactions()
	proxy.Cut()
	waitFor(t, 10*time.Second, "link down", func() bool { return !hub.LeafConnected() && !desk.LeafConnected() })
	for i := range 50 {
		dlog.write("d" + strconv.Itoa(i))
		hlog.write("h" + strconv.Itoa(i))
	}
	if s := dl.Status(ctx); s.State != "offline" || s.OfflineSince == nil {
		t.Errorf("desktop status while cut = %+v, want offline with a time", s)
	}
	proxy.Restore()
	waitFor(t, 30*time.Second, "caught up", func() bool {
		return len(hlog.received()) == 51 && len(dlog.received()) == 51
	})
	// The 50 changes made offline reach the mirror together: the applier
	// takes them in batches, not one transaction each.
	if n := hlog.transactions() - hubTxs; n >= 50 {
		t.Errorf("the hub applied 50 offline changes in %d transactions, want fewer", n)
	}
	for i, got := range hlog.received()[1:] {
		if want := "d" + strconv.Itoa(i); got != want {
			t.Fatalf("hub got %q at %d, want %q", got, i, want)
		}
	}
	waitFor(t, 10*time.Second, "connected status", func() bool {
		s := dl.Status(ctx)
		return s.State == "connected" && s.Pending == 0 && s.LastSync != nil
	})
}

func TestRevokedLeafIsDroppedAndRefused(t *testing.T) {
	hub, desk, _ := pairNodes(t, "d1")
	before := hub.RefusedLeafs()
	hub.RevokeLeaf("d1")
	// The desktop redials every second; the hub refuses its credential.
	waitFor(t, 10*time.Second, "a refused redial", func() bool { return hub.RefusedLeafs() > before })
	if hub.LeafConnected() || desk.LeafConnected() {
		t.Fatal("the revoked desktop is still connected")
	}
}

func TestWebSocketClientsOtherThanLeafsAreRefused(t *testing.T) {
	hub, _, _ := pairNodes(t, "d1")
	srv := hubHTTP(t, hub, nil)
	// A plain NATS client over the same WebSocket path: refused by the
	// server's auth (only the in-process client and leafs get in).
	_, err := nats.Connect("ws://"+strings.TrimPrefix(srv.URL, "http://")+"/sync/ws/", nats.UserInfo("d1", "guess"),
		nats.MaxReconnects(0), nats.Timeout(5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "Authorization") {
		t.Fatalf("a WebSocket client connecting to the hub's nats: %v, want an authorization violation", err)
	}
}

// A mirror that starts while the link is down (the window opened on a
// train, a restart during a cut) sends its consumer set-up into the void;
// nats-server then waits 30 s for the answer and backs off, whether or not
// the leaf is back. watchMirror sets it up again once the leaf is up.
func TestMirrorRecoversFromCutsDuringItsSetUp(t *testing.T) {
	ctx := testCtx(t)
	const deskO, hubO = "d1", "h1"
	hub, desk, proxy := pairNodes(t, deskO)
	proxy.Cut()
	waitFor(t, 10*time.Second, "link down", func() bool { return !hub.LeafConnected() && !desk.LeafConnected() })
	dlog, hlog := newMemLog(), newMemLog()
	dl := &Link{Node: desk, Origin: deskO, Epoch: 1, Source: dlog, Sink: dlog, Peer: Peer{hubO, 1, HubDomain}}
	hl := &Link{Node: hub, Origin: hubO, Epoch: 1, Source: hlog, Sink: hlog, Peer: Peer{deskO, 1, DesktopDomain(deskO)}}
	go dl.Run(ctx)
	go hl.Run(ctx)
	for i := range 20 {
		dlog.write("d" + strconv.Itoa(i))
		hlog.write("h" + strconv.Itoa(i))
	}
	waitFor(t, 10*time.Second, "both mirrors made", func() bool {
		_, e1 := desk.JS.Stream(ctx, StreamName(hubO, 1))
		_, e2 := hub.JS.Stream(ctx, StreamName(deskO, 1))
		return e1 == nil && e2 == nil
	})
	proxy.Restore()
	// Well inside nats-server's 30 s wait for the lost answer.
	waitFor(t, 15*time.Second, "both sides caught up", func() bool {
		return len(hlog.received()) == 20 && len(dlog.received()) == 20
	})
	t.Logf("mirrors set up again %d (desktop) and %d (hub) times", dl.Kicks(), hl.Kicks())
}
