package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// A hub that restarts (a crash, an update) while its desktop keeps running:
// the hub's mirror of the desktop's stream asks the desktop's JetStream for
// its consumer at once, before the desktop's leaf has redialled. nats drops
// that request (no route yet) and waits 30 s for the answer, then backs off:
// the desktop's changes stalled for ~40 s after each restart (bench/synckill).
// Now the request is held and sent on once the desktop can hear it.
func TestMirrorResumesPromptlyAfterTheHubRestarts(t *testing.T) {
	ctx := testCtx(t)
	hubDir, origin := t.TempDir(), "0123456789abcdef0123456789abcdef"
	secret := randomSecret()
	startHub := func() *Node {
		n, err := StartHub(HubConfig{Dir: hubDir, Creds: LeafCreds{origin: HashSecret(secret)}, Stream: StreamName("h1", 1)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The hub's HTTP server stays; the nats node behind it is replaced.
	var cur atomic.Pointer[Node]
	hub := startHub()
	cur.Store(hub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur.Load().WSHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	desk, err := StartDesktop(DesktopConfig{Dir: t.TempDir(), Origin: origin, Remote: RemoteURL(u, origin, secret)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(desk.Close)
	const epoch = 7
	if _, err := EnsureOwnStream(ctx, desk.JS, origin, epoch); err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) { publishRange(t, desk, origin, epoch, from, to) }
	mirrored := func(n *Node, want uint64) func() bool { return mirrorHas(n, origin, epoch, want) }
	publish(1, 5)
	if _, err := EnsureMirror(ctx, hub.JS, origin, epoch, DesktopDomain(origin)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the first five on the hub", mirrored(hub, 5))

	hub.Close()
	publish(6, 10) // written while the hub is down
	hub = startHub()
	cur.Store(hub)
	t.Cleanup(func() { cur.Load().Close() })
	start := time.Now()
	// nats waits 30 s for an unanswered mirror request: 15 s tells a
	// request answered once the leaf is back from one left to time out.
	waitFor(t, 15*time.Second, "the five written while the hub was down, on the hub", mirrored(hub, 10))
	t.Logf("the hub's mirror caught up %s after the restart", time.Since(start).Round(time.Millisecond))
}

// The other way round: the desktop (the origin) restarts; the consumer
// feeding the hub's mirror went with it, and nats' mirror notices only by
// the silence of its heartbeats, checked every 10 s (10-20 s). The leaf
// coming back makes the hub's mirror ask again at once.
func TestMirrorResumesPromptlyAfterTheDesktopRestarts(t *testing.T) {
	ctx := testCtx(t)
	origin, secret := "0123456789abcdef0123456789abcdef", randomSecret()
	hub, err := StartHub(HubConfig{Dir: t.TempDir(), Creds: LeafCreds{origin: HashSecret(secret)}, Stream: StreamName("h1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv := hubHTTP(t, hub, nil)
	u, _ := url.Parse(srv.URL)
	deskDir := t.TempDir()
	startDesk := func() *Node {
		n, err := StartDesktop(DesktopConfig{Dir: deskDir, Origin: origin, Remote: RemoteURL(u, origin, secret)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	desk := startDesk()
	const epoch = 9
	if _, err := EnsureOwnStream(ctx, desk.JS, origin, epoch); err != nil {
		t.Fatal(err)
	}
	publish := func(n *Node, from, to int) { publishRange(t, n, origin, epoch, from, to) }
	mirrored := func(want uint64) func() bool { return mirrorHas(hub, origin, epoch, want) }
	publish(desk, 1, 5)
	if _, err := EnsureMirror(ctx, hub.JS, origin, epoch, DesktopDomain(origin)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the first five on the hub", mirrored(5))
	desk.Close()
	desk = startDesk()
	t.Cleanup(desk.Close)
	start := time.Now()
	publish(desk, 6, 10)
	// nats' own check finds the dead consumer 10-20 s after the restart.
	waitFor(t, 8*time.Second, "the five written after the desktop's restart, on the hub", mirrored(10))
	t.Logf("the hub's mirror caught up %s after the desktop's restart", time.Since(start).Round(time.Millisecond))
}

// publishRange publishes events from..to onto origin's stream on n.
func publishRange(t *testing.T, n *Node, origin string, epoch int64, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		m := nats.NewMsg(subject(origin, epoch))
		m.Data = []byte(fmt.Sprint(i))
		if _, err := n.JS.PublishMsg(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// mirrorHas reports whether n's copy of origin's stream ends at want.
func mirrorHas(n *Node, origin string, epoch int64, want uint64) func() bool {
	return func() bool {
		ctx := context.Background()
		st, err := n.JS.Stream(ctx, StreamName(origin, epoch))
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.State.LastSeq == want
	}
}
